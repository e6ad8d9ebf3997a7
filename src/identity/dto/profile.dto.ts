import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IDENTITY_TYPES } from '../profile-view';

export class FindProfileQueryDto {
  @ApiProperty({
    example: 'email:jane@example.com',
    description: `TYPE:VALUE, TYPE one of ${IDENTITY_TYPES.join(', ')}; the value is normalised as at resolution`,
  })
  @IsString()
  @MaxLength(600)
  identity: string;
}

export class IdentityDto {
  @ApiProperty({ enum: IDENTITY_TYPES }) type: string;
  @ApiProperty() value: string;
}

export class AttributionDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'utm_* without the prefix (campaign is name)',
  })
  campaign: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) referrer: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { gclid: 'Cj0K...' },
  })
  clickIds: Record<string, string>;
  @ApiPropertyOptional({ example: 'fb.1.1732300000000.IwAR...' }) fbc?: string;
  @ApiPropertyOptional({ example: 'fb.1.1732300000000.123456789' }) fbp?: string;
  @ApiProperty({ nullable: true, type: String }) url: string | null;
  @ApiProperty({ description: 'event time of the message that set it' }) at: string;
}

export class ProfileAttributionDto {
  @ApiProperty({ type: AttributionDto, nullable: true }) first: AttributionDto | null;
  @ApiProperty({ type: AttributionDto, nullable: true }) last: AttributionDto | null;
}

export class ProfileAccountDto {
  @ApiProperty() id: string;
  @ApiProperty({ nullable: true, type: String }) domain: string | null;
  @ApiProperty({ nullable: true, type: String }) accountId: string | null;
}

export class ProfileResponseDto {
  @ApiProperty() id: string;
  @ApiProperty({ type: [IdentityDto] }) identities: IdentityDto[];
  @ApiProperty({ type: 'object', additionalProperties: true }) traits: Record<string, unknown>;
  @ApiProperty({ type: [ProfileAccountDto] }) accounts: ProfileAccountDto[];
  @ApiProperty({ type: ProfileAttributionDto }) attribution: ProfileAttributionDto;
  @ApiProperty() firstSeenAt: string;
  @ApiProperty() lastSeenAt: string;
  @ApiPropertyOptional({
    type: [String],
    description:
      'Only on a profile of identities seen with two userIds or more (which then belong to neither person): those userIds',
  })
  contestedBy?: string[];
}
