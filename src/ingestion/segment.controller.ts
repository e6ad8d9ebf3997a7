import { BadRequestException, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiBasicAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { IngestMessagesCommand, IngestResult } from './commands/ingest-messages.command';
import {
  ErrorResponseDto,
  IngestResponseDto,
  SegmentBatchDto,
  SegmentMessageDto,
} from './dto/segment.dto';
import { sourceByWriteKey } from './http/authenticate';
import { clientOf, optionalObject, readJsonObject, withoutWriteKey } from './http/request-body';
import type { MessageType } from './message/canonical-message';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_MESSAGES,
  MAX_MESSAGE_BYTES,
} from './message/normalize-message';

export type IngestAnswer = Omit<IngestResult, 'eventIds'>;

export const toAnswer = ({ eventIds: _ids, ...answer }: IngestResult): IngestAnswer => answer;

/** Segment's HTTP Tracking API, as Dreamdata, Segment and RudderStack clients speak it. */
@ApiTags('ingestion: Segment')
@ApiBasicAuth()
@ApiConsumes('application/json', 'text/plain')
@ApiResponse({
  status: 400,
  type: ErrorResponseDto,
  description: 'Body not JSON, no batch, bad field',
})
@ApiResponse({ status: 401, type: ErrorResponseDto, description: 'Missing or unknown write key' })
@ApiResponse({
  status: 413,
  type: ErrorResponseDto,
  description: 'Body over 500 KB (batch) or 32 KB',
})
@ApiResponse({ status: 503, type: ErrorResponseDto, description: 'Storage unavailable; retry' })
@Controller('v1')
export class SegmentController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send up to 2,500 messages of any type' })
  @ApiBody({ type: SegmentBatchDto })
  @ApiOkResponse({ type: IngestResponseDto })
  async batch(@Req() req: Request): Promise<IngestAnswer> {
    const receivedAt = new Date();
    const body = readJsonObject(req, MAX_BATCH_BYTES, 'batch');
    const source = await sourceByWriteKey(this.queries, req, body);
    const batch = body.batch;
    if (!Array.isArray(batch)) throw new BadRequestException('batch must be an array of messages');
    if (batch.length === 0) throw new BadRequestException('batch must not be empty');
    if (batch.length > MAX_BATCH_MESSAGES) {
      throw new BadRequestException(
        `batch holds ${batch.length} messages; at most ${MAX_BATCH_MESSAGES} are allowed`,
      );
    }
    const result = await this.commands.execute(
      new IngestMessagesCommand({
        sourceId: source.id,
        channel: 'segment',
        entries: batch.map((raw) => ({ raw })),
        batchContext: optionalObject(body, 'context'),
        batchSentAt: body.sentAt,
        client: clientOf(req),
        receivedAt,
      }),
    );
    return toAnswer(result);
  }

  @Post('track')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record an action (event + properties)' })
  @ApiBody({ type: SegmentMessageDto })
  @ApiOkResponse({ type: IngestResponseDto })
  track(@Req() req: Request) {
    return this.single(req, 'track');
  }

  @Post('identify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Tie a user to their traits' })
  @ApiBody({ type: SegmentMessageDto })
  @ApiOkResponse({ type: IngestResponseDto })
  identify(@Req() req: Request) {
    return this.single(req, 'identify');
  }

  @Post('page')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record a page view' })
  @ApiBody({ type: SegmentMessageDto })
  @ApiOkResponse({ type: IngestResponseDto })
  page(@Req() req: Request) {
    return this.single(req, 'page');
  }

  @Post('screen')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record a mobile screen view' })
  @ApiBody({ type: SegmentMessageDto })
  @ApiOkResponse({ type: IngestResponseDto })
  screen(@Req() req: Request) {
    return this.single(req, 'screen');
  }

  @Post('group')
  @HttpCode(200)
  @ApiOperation({ summary: 'Tie a user to a group (company, account)' })
  @ApiBody({ type: SegmentMessageDto })
  @ApiOkResponse({ type: IngestResponseDto })
  group(@Req() req: Request) {
    return this.single(req, 'group');
  }

  @Post('alias')
  @HttpCode(200)
  @ApiOperation({ summary: 'Merge a previous id into a userId' })
  @ApiBody({ type: SegmentMessageDto })
  @ApiOkResponse({ type: IngestResponseDto })
  alias(@Req() req: Request) {
    return this.single(req, 'alias');
  }

  private async single(req: Request, type: MessageType): Promise<IngestAnswer> {
    const receivedAt = new Date();
    const body = readJsonObject(req, MAX_MESSAGE_BYTES, 'message');
    const source = await sourceByWriteKey(this.queries, req, body);
    const result = await this.commands.execute(
      new IngestMessagesCommand({
        sourceId: source.id,
        channel: 'segment',
        entries: [{ raw: withoutWriteKey(body), impliedType: type }],
        client: clientOf(req),
        receivedAt,
      }),
    );
    // One message: a bad one is the whole request's error (it is still kept in rejected_events).
    if (result.rejected.length > 0) {
      throw new BadRequestException(result.rejected[0].errors.join('; '));
    }
    return toAnswer(result);
  }
}
