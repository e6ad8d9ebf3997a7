import {
  BadRequestException,
  Controller,
  HttpCode,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { IngestMessagesCommand } from './commands/ingest-messages.command';
import { PixelAcceptedDto, PixelHitDto } from './dto/pixel.dto';
import { ErrorResponseDto } from './dto/segment.dto';
import { sourceByPublicKey } from './http/authenticate';
import { PublicRateLimitGuard } from './http/public-rate-limit.guard';
import { clientOf, readJsonObject } from './http/request-body';
import { VisitorIds } from './http/visitor-id';
import { MAX_MESSAGE_BYTES } from './message/normalize-message';
import { PixelHit, parsePixelHit, pixelHitToMessage } from './message/pixel-hit';

/**
 * Zenovay's public tracking endpoint: pages post `pageview`s and `event`s here with nothing but the
 * source's public key, or a site's server forwards them with the visitor's User-Agent and
 * X-Forwarded-For. CORS (per source) is applied by PublicCorsMiddleware before this runs.
 */
@ApiTags('ingestion: browser')
@ApiConsumes('application/json', 'text/plain')
@ApiResponse({
  status: 400,
  type: ErrorResponseDto,
  description: 'Body not JSON, bad type, missing url or name',
})
@ApiResponse({
  status: 403,
  type: ErrorResponseDto,
  description: 'Origin not allowed for this source',
})
@ApiResponse({ status: 404, type: ErrorResponseDto, description: 'Unknown public key' })
@ApiResponse({ status: 413, type: ErrorResponseDto, description: 'Body over 32 KB' })
@ApiResponse({
  status: 429,
  type: ErrorResponseDto,
  description: 'Over 60 requests per 10 s or 5,000 per hour from this IP; see Retry-After',
})
@UseGuards(PublicRateLimitGuard)
@Controller('e')
export class PixelController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly visitors: VisitorIds,
  ) {}

  @Post(':publicKey')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Record a pageview or an event from a browser (or a server forwarding one)',
    description:
      'Sets the first-party visitor cookie `tk_aid` (UUID v4, one year, SameSite=Lax, Secure over HTTPS) unless the source is cookieless. A `tk_aid` parameter in `url` sets the visitor id (cross-domain links).',
  })
  @ApiParam({ name: 'publicKey', description: "The source's public key" })
  @ApiBody({ type: PixelHitDto })
  @ApiAcceptedResponse({ type: PixelAcceptedDto })
  async collect(
    @Param('publicKey') publicKey: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PixelAcceptedDto> {
    const receivedAt = new Date();
    const body = readJsonObject(req, MAX_MESSAGE_BYTES, 'body');
    const source = await sourceByPublicKey(this.queries, publicKey);
    let hit: PixelHit;
    try {
      hit = parsePixelHit(body);
    } catch (err) {
      // Kept with its reason, like every rejected message; the caller gets the 400.
      if (err instanceof BadRequestException) {
        await this.commands.execute(
          new IngestMessagesCommand({
            sourceId: source.id,
            channel: 'pixel',
            entries: [{ raw: body, rejectedWith: [err.message] }],
            client: clientOf(req),
            receivedAt,
          }),
        );
      }
      throw err;
    }
    const visitor = await this.visitors.resolve(req, res, source, hit.url);
    const result = await this.commands.execute(
      new IngestMessagesCommand({
        sourceId: source.id,
        channel: 'pixel',
        entries: [{ raw: pixelHitToMessage(hit, visitor.anonymousId), payload: body }],
        client: clientOf(req),
        receivedAt,
        enrichment: { anonymousIdSource: visitor.source },
      }),
    );
    if (result.rejected.length > 0) {
      throw new BadRequestException(result.rejected[0].errors.join('; '));
    }
    return { success: true };
  }
}
