import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class FindAccountQueryDto {
  @ApiPropertyOptional({
    description: 'Company domain, any form (https://www.acme.com/ → acme.com)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  domain?: string;

  @ApiPropertyOptional({
    description: 'The external account id (Koala account_id, Segment groupId)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  accountId?: string;
}

export class AccountGroupDto {
  @ApiProperty() groupId: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) traits: object;
}

export class AccountDto {
  @ApiProperty() id: string;
  @ApiProperty({ type: String, nullable: true }) domain: string | null;
  @ApiProperty({ type: String, nullable: true }) accountId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) traits: object;
  @ApiProperty({ type: [AccountGroupDto] }) groups: AccountGroupDto[];
  @ApiProperty() profileCount: number;
}

export class AccountRefDto {
  @ApiProperty() id: string;
  @ApiProperty({ type: String, nullable: true }) domain: string | null;
  @ApiProperty({ type: String, nullable: true }) accountId: string | null;
}
