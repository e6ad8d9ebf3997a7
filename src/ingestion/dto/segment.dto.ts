import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Documentation of the wire format; the messages themselves are validated one by one. */
export class SegmentMessageDto {
  @ApiPropertyOptional({ enum: ['track', 'identify', 'page', 'screen', 'group', 'alias'] })
  type?: string;
  @ApiPropertyOptional({ description: 'Idempotency key, unique per source' }) messageId?: string;
  @ApiPropertyOptional() userId?: string;
  @ApiPropertyOptional() anonymousId?: string;
  @ApiPropertyOptional({ description: 'track: the event name' }) event?: string;
  @ApiPropertyOptional({ description: 'page / screen: the page name' }) name?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) properties?: object;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) traits?: object;
  @ApiPropertyOptional({ description: 'group' }) groupId?: string;
  @ApiPropertyOptional({ description: 'alias' }) previousId?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) context?: object;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) integrations?: object;
  @ApiPropertyOptional({ format: 'date-time' }) timestamp?: string;
  @ApiPropertyOptional({ format: 'date-time' }) sentAt?: string;
  @ApiPropertyOptional({ description: 'Alternative to HTTP Basic auth' }) writeKey?: string;
}

export class SegmentBatchDto {
  @ApiProperty({ type: [SegmentMessageDto], maxItems: 2500 }) batch: SegmentMessageDto[];
  @ApiPropertyOptional({ format: 'date-time' }) sentAt?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) context?: object;
  @ApiPropertyOptional() writeKey?: string;
}

export class RejectedMessageDto {
  @ApiProperty() index: number;
  @ApiProperty({ nullable: true, type: String }) messageId: string | null;
  @ApiProperty({ type: [String] }) errors: string[];
}

export class IngestResponseDto {
  @ApiProperty({ example: true }) success: boolean;
  @ApiProperty() accepted: number;
  @ApiProperty() duplicates: number;
  @ApiProperty({ type: [RejectedMessageDto] }) rejected: RejectedMessageDto[];
}

export class ErrorResponseDto {
  @ApiProperty() statusCode: number;
  @ApiProperty() error: string;
  @ApiProperty() message: string;
}
