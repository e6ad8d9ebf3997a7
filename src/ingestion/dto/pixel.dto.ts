import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Documentation of the wire format; the body is validated by `parsePixelHit`. */
export class PixelHitDto {
  @ApiProperty({ enum: ['pageview', 'event'] }) type: 'pageview' | 'event';
  @ApiProperty({
    example: 'https://example.com/products/widget?utm_source=google&gclid=Cj0KCQ',
    description:
      'The page: an absolute http(s) URL or a path. utm_* and click ids are read from it',
  })
  url: string;
  @ApiPropertyOptional({ example: 'https://google.com/search' }) referrer?: string;
  @ApiPropertyOptional({
    description: 'Required for events: the event name; for pageviews the page name',
  })
  name?: string;
  @ApiPropertyOptional({ description: 'The page title (pageviews)' }) title?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Event properties (events); extra page properties (pageviews)',
  })
  data?: object;
}

export class PixelAcceptedDto {
  @ApiProperty({ example: true }) success: boolean;
}
