import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { MESSAGE_TYPES, MessageType } from '../../ingestion/message/canonical-message';
import {
  DESTINATION_TYPES,
  DestinationType,
  TRACK_STATUSES,
  TrackStatus,
} from '../destination-types';

export class DestinationFilterDto {
  @ApiPropertyOptional({
    enum: MESSAGE_TYPES,
    isArray: true,
    description: 'Message types that go; all the platform takes when empty',
  })
  @IsOptional()
  @IsArray()
  @IsIn(MESSAGE_TYPES as unknown as string[], {
    each: true,
    message: `filter.types must hold ${MESSAGE_TYPES.join(', ')}`,
  })
  types?: MessageType[];

  @ApiPropertyOptional({ type: [String], description: 'Track event names that go; all when empty' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  events?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Track event names that never go' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  excludeEvents?: string[];
}

const SETTINGS_DOC =
  'Per type. webhook: url, secret*. meta_capi: pixelId, accessToken*, apiVersion, testEventCode, actionSource, defaultCurrency, endpoint. ' +
  'tiktok: pixelCode, accessToken*, testEventCode, defaultCurrency, endpoint. ga4: measurementId, apiSecret*, testMode, defaultCurrency, endpoint. ' +
  'google_ads: customerId, conversionActionId, clientId, clientSecret*, refreshToken*, loginCustomerId, api (data_manager | legacy), developerToken* (legacy), ' +
  'apiVersion, testMode, adUserDataConsent, defaultCurrency, tokenEndpoint, endpoint. * secret: encrypted, shown as ********.';

export class CreateDestinationDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(36) sourceId: string;

  @ApiProperty({ enum: DESTINATION_TYPES })
  @IsIn(DESTINATION_TYPES as unknown as string[], {
    message: `type must be one of ${DESTINATION_TYPES.join(', ')}`,
  })
  type: DestinationType;

  @ApiProperty({ example: 'Meta pixel 123' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;

  @ApiProperty({ type: 'object', additionalProperties: true, description: SETTINGS_DOC })
  @IsObject()
  settings: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'Order Completed': 'Purchase' },
    description:
      'Event name (or page / screen) → platform event name; Google Ads: → conversion action id',
  })
  @IsOptional()
  @IsObject()
  mapping?: Record<string, string>;

  @ApiPropertyOptional({ type: DestinationFilterDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DestinationFilterDto)
  filter?: DestinationFilterDto;
}

export class UpdateDestinationDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enabled?: boolean;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Merged into the stored settings; null removes one; ******** keeps a secret',
  })
  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Replaces the mapping',
  })
  @IsOptional()
  @IsObject()
  mapping?: Record<string, string>;

  @ApiPropertyOptional({ type: DestinationFilterDto, description: 'Replaces the filter' })
  @IsOptional()
  @ValidateNested()
  @Type(() => DestinationFilterDto)
  filter?: DestinationFilterDto;
}

export class DestinationResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() sourceId: string;
  @ApiProperty({ enum: DESTINATION_TYPES }) type: DestinationType;
  @ApiProperty() name: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Secrets shown as ********',
  })
  settings: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) mapping: Record<
    string,
    string
  >;
  @ApiProperty({ type: DestinationFilterDto }) filter: DestinationFilterDto;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ListDestinationsQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(36) sourceId?: string;
}

export class ListTracksQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(36) destinationId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(36) eventId?: string;
  @ApiPropertyOptional({ enum: TRACK_STATUSES })
  @IsOptional()
  @IsIn(TRACK_STATUSES as unknown as string[], {
    message: `status must be one of ${TRACK_STATUSES.join(', ')}`,
  })
  status?: TrackStatus;
  @ApiPropertyOptional({ format: 'date-time', description: 'row written at or after' })
  @IsOptional()
  @IsISO8601()
  from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'row written at or before' })
  @IsOptional()
  @IsISO8601()
  to?: string;
}

export class TrackResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() eventId: string;
  @ApiProperty() destinationId: string;
  @ApiProperty() attempt: number;
  @ApiProperty({ enum: TRACK_STATUSES }) status: TrackStatus;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'secrets masked',
  })
  request: unknown;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) response: unknown;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty({ nullable: true, type: String }) replayOf: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) sentAt: string | null;
}

export class TrackPageDto {
  @ApiProperty({ type: [TrackResponseDto] }) items: TrackResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ReplayDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10000)
  @IsString({ each: true })
  trackIds?: string[];

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10000)
  @IsString({ each: true })
  eventIds?: string[];

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(36) destinationId?: string;

  @ApiPropertyOptional({
    enum: TRACK_STATUSES,
    description: 'with destinationId: events whose latest row has it',
  })
  @IsOptional()
  @IsIn(TRACK_STATUSES as unknown as string[], {
    message: `status must be one of ${TRACK_STATUSES.join(', ')}`,
  })
  status?: TrackStatus;

  @ApiPropertyOptional({ format: 'date-time', description: 'event time, inclusive' })
  @IsOptional()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'event time, inclusive' })
  @IsOptional()
  @IsISO8601()
  to?: string;
}

export class ReplayResponseDto {
  @ApiProperty() queued: number;
  @ApiProperty() replayId: string;
  @ApiProperty({ description: 'queued events older than the 48 h browser/server dedup window' })
  olderThan48h: number;
  @ApiProperty({
    description: 'queued events older than their platform accepts (recorded as skipped)',
  })
  outsideWindow: number;
  @ApiPropertyOptional() note?: string;
}
