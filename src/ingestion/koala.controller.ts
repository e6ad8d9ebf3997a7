import { Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiBasicAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import {
  KoalaAccountBatchDto,
  KoalaAccountResponseDto,
  KoalaBatchDto,
  KoalaResponseDto,
} from './dto/koala.dto';
import { ErrorResponseDto } from './dto/segment.dto';
import { sourceByPublicKey, sourceByWriteKey } from './http/authenticate';
import { PublicRateLimitGuard } from './http/public-rate-limit.guard';
import { readJsonObject } from './http/request-body';
import { KoalaAccountAnswer, KoalaAnswer, KoalaIngestion } from './koala/koala-ingestion';
import { MAX_BATCH_BYTES } from './message/normalize-message';

const BATCH_SUMMARY = "One person's identifies, events and page views (profile_id or email)";
const ACCOUNTS_SUMMARY =
  "A company's traits and events (domain or account_id); creates the account";

/** Koala's server-side API (`/batch`, `/accounts/batch`), authenticated by the source's write key. */
@ApiTags('ingestion: Koala')
@ApiBasicAuth()
@ApiConsumes('application/json', 'text/plain')
@ApiResponse({
  status: 400,
  type: ErrorResponseDto,
  description: 'Body not JSON, bad or missing field, list over 30',
})
@ApiResponse({ status: 401, type: ErrorResponseDto, description: 'Missing or unknown write key' })
@ApiResponse({ status: 413, type: ErrorResponseDto, description: 'Body over 500 KB' })
@ApiResponse({ status: 503, type: ErrorResponseDto, description: 'Storage unavailable; retry' })
@Controller()
export class KoalaController {
  constructor(
    private readonly queries: QueryBus,
    private readonly koala: KoalaIngestion,
  ) {}

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({ summary: BATCH_SUMMARY })
  @ApiBody({ type: KoalaBatchDto })
  @ApiOkResponse({ type: KoalaResponseDto })
  async batch(@Req() req: Request): Promise<KoalaAnswer> {
    const receivedAt = new Date();
    const body = readJsonObject(req, MAX_BATCH_BYTES);
    const source = await sourceByWriteKey(this.queries, req, body);
    return this.koala.personBatch(source, body, req, receivedAt);
  }

  @Post('accounts/batch')
  @HttpCode(200)
  @ApiOperation({ summary: ACCOUNTS_SUMMARY })
  @ApiBody({ type: KoalaAccountBatchDto })
  @ApiOkResponse({ type: KoalaAccountResponseDto })
  async accounts(@Req() req: Request): Promise<KoalaAccountAnswer> {
    const receivedAt = new Date();
    const body = readJsonObject(req, MAX_BATCH_BYTES);
    const source = await sourceByWriteKey(this.queries, req, body);
    return this.koala.accountBatch(source, body, req, receivedAt);
  }
}

/**
 * The same API at Koala's public collection URL, the source named by its publishable key in the path.
 * A class of its own so the public-route guards (per-IP rate limit, CORS) apply to it alone.
 */
@ApiTags('ingestion: Koala')
@ApiConsumes('application/json', 'text/plain')
@ApiParam({ name: 'publicKey', description: "The source's publishable key" })
@ApiResponse({
  status: 400,
  type: ErrorResponseDto,
  description: 'Body not JSON, bad or missing field, list over 30',
})
@ApiResponse({ status: 404, type: ErrorResponseDto, description: 'Unknown public key' })
@ApiResponse({ status: 413, type: ErrorResponseDto, description: 'Body over 500 KB' })
@ApiResponse({ status: 503, type: ErrorResponseDto, description: 'Storage unavailable; retry' })
@ApiResponse({
  status: 429,
  type: ErrorResponseDto,
  description: 'Per-IP rate limit; see Retry-After',
})
// Browser-facing like /e: the same per-IP budget, shared across processes in Redis.
@UseGuards(PublicRateLimitGuard)
@Controller('web/projects/:publicKey')
export class KoalaPublicController {
  constructor(
    private readonly queries: QueryBus,
    private readonly koala: KoalaIngestion,
  ) {}

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({ summary: BATCH_SUMMARY })
  @ApiBody({ type: KoalaBatchDto })
  @ApiOkResponse({ type: KoalaResponseDto })
  async batch(@Param('publicKey') publicKey: string, @Req() req: Request): Promise<KoalaAnswer> {
    const receivedAt = new Date();
    const body = readJsonObject(req, MAX_BATCH_BYTES);
    const source = await sourceByPublicKey(this.queries, publicKey);
    return this.koala.personBatch(source, body, req, receivedAt);
  }

  @Post('accounts/batch')
  @HttpCode(200)
  @ApiOperation({ summary: ACCOUNTS_SUMMARY })
  @ApiBody({ type: KoalaAccountBatchDto })
  @ApiOkResponse({ type: KoalaAccountResponseDto })
  async accounts(
    @Param('publicKey') publicKey: string,
    @Req() req: Request,
  ): Promise<KoalaAccountAnswer> {
    const receivedAt = new Date();
    const body = readJsonObject(req, MAX_BATCH_BYTES);
    const source = await sourceByPublicKey(this.queries, publicKey);
    return this.koala.accountBatch(source, body, req, receivedAt);
  }
}
