import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AccountRefDto } from '../../accounts/dto/admin-accounts.dto';
import { RejectedMessageDto } from './segment.dto';

/** Documentation of Koala's wire format; the routes validate the body themselves. */
export class KoalaEventDto {
  @ApiPropertyOptional({ description: 'Idempotency key, unique per source' }) message_id?: string;
  @ApiPropertyOptional({ enum: ['track'] }) type?: string;
  @ApiProperty() event: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) properties?: object;
  @ApiPropertyOptional({ format: 'date-time', description: 'When it happened' }) sent_at?: string;
}

export class KoalaIdentifyDto {
  @ApiPropertyOptional() message_id?: string;
  @ApiPropertyOptional({ enum: ['identify'] }) type?: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) traits: object;
  @ApiPropertyOptional({ format: 'date-time' }) sent_at?: string;
}

export class KoalaPageViewDto {
  @ApiPropertyOptional() message_id?: string;
  @ApiProperty() url: string;
  @ApiPropertyOptional() referrer?: string;
  @ApiPropertyOptional() title?: string;
  @ApiPropertyOptional({ format: 'date-time' }) sent_at?: string;
}

export class KoalaBatchDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The ko_id cookie (UUID v4); or email' })
  profile_id?: string;
  @ApiPropertyOptional({ format: 'email', description: 'A known visitor; or profile_id' })
  email?: string;
  @ApiPropertyOptional({ type: [KoalaIdentifyDto], maxItems: 30 }) identifies?: KoalaIdentifyDto[];
  @ApiPropertyOptional({ type: [KoalaEventDto], maxItems: 30 }) events?: KoalaEventDto[];
  @ApiPropertyOptional({ type: [KoalaPageViewDto], maxItems: 30 }) page_views?: KoalaPageViewDto[];
}

export class KoalaAccountIdentifyDto {
  @ApiPropertyOptional() message_id?: string;
  @ApiPropertyOptional({ enum: ['identify'] }) type?: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Account traits; with a group_id they are also kept for that tenant',
  })
  traits: object;
  @ApiPropertyOptional({ format: 'date-time' }) sent_at?: string;
}

export class KoalaAccountBatchDto {
  @ApiPropertyOptional({ description: 'Company domain (normalised: acme.com); or account_id' })
  domain?: string;
  @ApiPropertyOptional({ description: 'Your id for the account; or domain' }) account_id?: string;
  @ApiPropertyOptional({ type: [KoalaAccountIdentifyDto], maxItems: 30 })
  identifies?: KoalaAccountIdentifyDto[];
  @ApiPropertyOptional({ type: [KoalaEventDto], maxItems: 30 }) events?: KoalaEventDto[];
}

export class KoalaRejectedDto extends RejectedMessageDto {
  @ApiProperty({ enum: ['identifies', 'events', 'page_views', 'email'] }) list: string;
  @ApiProperty({ description: 'Position in that list' }) declare index: number;
}

export class KoalaResponseDto {
  @ApiProperty({ example: true }) success: boolean;
  @ApiProperty() accepted: number;
  @ApiProperty() duplicates: number;
  @ApiProperty({ type: [KoalaRejectedDto] }) rejected: KoalaRejectedDto[];
}

export class KoalaAccountResponseDto extends KoalaResponseDto {
  @ApiProperty({ type: AccountRefDto, nullable: true }) account: AccountRefDto | null;
}
