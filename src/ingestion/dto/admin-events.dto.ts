import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { MESSAGE_TYPES, MessageType } from '../message/canonical-message';

export class ListEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(36) sourceId?: string;
  @ApiPropertyOptional({ enum: MESSAGE_TYPES })
  @IsOptional()
  @IsIn(MESSAGE_TYPES as unknown as string[])
  type?: MessageType;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) event?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) userId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) anonymousId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(36) profileId?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'event time, inclusive' })
  @IsOptional()
  @IsISO8601()
  from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'event time, inclusive' })
  @IsOptional()
  @IsISO8601()
  to?: string;
}

export class ListRejectedQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(36) sourceId?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'receipt time, inclusive' })
  @IsOptional()
  @IsISO8601()
  from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'receipt time, inclusive' })
  @IsOptional()
  @IsISO8601()
  to?: string;
}
