import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';

export class CreateSourceDto {
  @ApiProperty({ example: 'Website' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['https://www.example.com'],
    description: 'Origins allowed to call the browser routes; all when empty',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(/^(https?:\/\/[^/\s]+|\*)$/, {
    each: true,
    message: 'allowedOrigins must hold origins like https://www.example.com',
  })
  allowedOrigins?: string[];

  @ApiPropertyOptional({
    description: 'Browser routes set no cookie and hash (source, IP, UA) daily',
  })
  @IsOptional()
  @IsBoolean()
  cookieless?: boolean;

  @ApiPropertyOptional({ example: '.example.com', description: 'Domain of the visitor cookie' })
  @IsOptional()
  @IsString()
  @Matches(/^\.?[a-z0-9.-]+$/i, { message: 'cookieDomain must be a domain such as .example.com' })
  cookieDomain?: string;
}

export class SourceResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() publicKey: string;
  @ApiProperty({ type: [String] }) allowedOrigins: string[];
  @ApiProperty() cookieless: boolean;
  @ApiProperty({ nullable: true, type: String }) cookieDomain: string | null;
  @ApiProperty() createdAt: string;
}

export class CreatedSourceResponseDto extends SourceResponseDto {
  @ApiProperty({ description: 'Shown only here: store it now' }) writeKey: string;
}
