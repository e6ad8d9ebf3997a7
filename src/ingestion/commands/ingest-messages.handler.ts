import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { newId } from '../../common/ids';
import { duplicatesTotal, ingestedTotal, rejectedTotal } from '../../common/metrics';
import { Enricher } from '../enrichment/enricher';
import { MessagesIngested } from '../events/messages-ingested.event';
import type { CanonicalMessage, JsonObject } from '../message/canonical-message';
import { MAX_MESSAGE_BYTES, normalizeMessage, sanitizeJson } from '../message/normalize-message';
import { IngestMessagesCommand, IngestResult, RejectedMessage } from './ingest-messages.command';

const EVENT_COLUMNS = [
  'id',
  'source_id',
  'message_id',
  'type',
  'event',
  'name',
  'user_id',
  'anonymous_id',
  'group_id',
  'previous_id',
  'account_id',
  'timestamp',
  'original_timestamp',
  'sent_at',
  'received_at',
  'properties',
  'traits',
  'context',
  'integrations',
  'payload',
  'enrichment',
  'bot',
];
const ROW_PLACEHOLDER = `(${EVENT_COLUMNS.map(() => '?').join(',')})`;

/** Statement runs after an InnoDB deadlock before the request is answered 503 after all. */
const DEADLOCK_ATTEMPTS = 5;

/** Ids and names are capped at 255 characters by validation; this keeps indexed columns in bounds. */
const capped = (v: string | null): string | null => (v && v.length > 255 ? v.slice(0, 255) : v);

/** The JSON text of what the client sent, or null when it cannot be serialised (too deep). */
function serialized(value: unknown): string | null {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return null;
  }
}

/**
 * The `payload` column: a route's own format (Koala, pixel) cleaned like the message, else the
 * cleaned message; the message when the route's format won't clean. Cleaning is copy-on-write, so
 * when nothing needed cleaning the text already made for the size check is reused.
 */
function storedPayloadJson(
  routePayload: unknown,
  message: JsonObject,
  sent: unknown,
  sentJson: string,
): string {
  const stored = routePayload === undefined ? message : (sanitizeJson(routePayload) ?? message);
  return stored === sent ? sentJson : JSON.stringify(stored);
}

/**
 * Validates, normalises, enriches and stores a request's messages: every good one in a single
 * multi-row INSERT IGNORE (the unique key on (source, messageId) is what makes a retry harmless, even
 * from two API processes at once), every bad one in `rejected_events` with its reasons. The answer is
 * returned only after both statements have committed.
 */
@CommandHandler(IngestMessagesCommand)
export class IngestMessagesHandler implements ICommandHandler<IngestMessagesCommand> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly enricher: Enricher,
    private readonly events: EventBus,
  ) {}

  async execute({ request }: IngestMessagesCommand): Promise<IngestResult> {
    const { sourceId, receivedAt } = request;
    const rejected: RejectedMessage[] = [];
    const rejectedPayloads: unknown[] = [];
    const accepted: Array<{ id: string; message: CanonicalMessage; row: unknown[] }> = [];
    const seen = new Set<string>();
    let duplicates = 0;

    request.entries.forEach((entry, index) => {
      const reject = (messageId: string | null, errors: string[]) => {
        rejected.push({ index, messageId, errors });
        rejectedPayloads.push(entry.payload ?? entry.raw);
      };
      if (entry.rejectedWith) {
        const id = (entry.raw as { messageId?: unknown } | null)?.messageId;
        reject(typeof id === 'string' ? id.slice(0, 255) : null, entry.rejectedWith);
        return;
      }
      // The limit is on what the client sent: a route's conversion (a pixel hit's url copied into
      // properties and context) must not push an acceptable message over it.
      const sent = entry.payload ?? entry.raw;
      const sentJson = serialized(sent);
      if (sentJson === null || Buffer.byteLength(sentJson) > MAX_MESSAGE_BYTES) {
        const id = (entry.raw as { messageId?: unknown } | null)?.messageId;
        reject(typeof id === 'string' ? id.slice(0, 255) : null, [
          `message exceeds the ${MAX_MESSAGE_BYTES / 1024} KB limit`,
        ]);
        return;
      }
      const result = normalizeMessage({
        raw: entry.raw,
        impliedType: entry.impliedType,
        batchContext: request.batchContext,
        batchSentAt: request.batchSentAt,
        receivedAt,
        identified: request.identifiedBy !== undefined,
      });
      if (!result.ok) {
        reject(result.messageId, result.errors);
        return;
      }
      const m = result.message;
      if (seen.has(m.messageId)) {
        duplicates++;
        return;
      }
      seen.add(m.messageId);
      const { context, enrichment, bot } = this.enricher.enrich(
        m.context,
        request.client,
        request.channel,
      );
      const id = newId(receivedAt.getTime());
      const mergedEnrichment: JsonObject = { ...enrichment, ...(request.enrichment ?? {}) };
      accepted.push({
        id,
        message: { ...m, context },
        row: [
          id,
          sourceId,
          m.messageId,
          m.type,
          capped(m.event),
          capped(m.name),
          m.userId,
          m.anonymousId,
          m.groupId,
          m.previousId,
          request.accountId ?? null,
          m.timestamp,
          m.originalTimestamp,
          m.sentAt,
          receivedAt,
          JSON.stringify(m.properties),
          JSON.stringify(m.traits),
          JSON.stringify(context),
          JSON.stringify(m.integrations),
          storedPayloadJson(entry.payload, result.payload, sent, sentJson),
          JSON.stringify(mergedEnrichment),
          bot ? 1 : 0,
        ],
      });
    });

    if (rejected.length > 0)
      await this.storeRejected(sourceId, receivedAt, rejected, rejectedPayloads);

    let insertedIds: string[] = [];
    if (accepted.length > 0) {
      const result: { affectedRows: number } = await this.insertEvents(
        `INSERT IGNORE INTO events (${EVENT_COLUMNS.join(',')}) VALUES ${accepted
          .map(() => ROW_PLACEHOLDER)
          .join(',')}`,
        accepted.flatMap((a) => a.row),
      );
      if (result.affectedRows === accepted.length) {
        insertedIds = accepted.map((a) => a.id);
      } else {
        // Some messageIds were stored before (a client retry): the rows that carry our fresh ids are
        // the ones this request inserted.
        const ours = new Set(accepted.map((a) => a.id));
        const rows: Array<{ id: string }> = await this.db.query(
          `SELECT id FROM events WHERE source_id = ? AND message_id IN (${accepted
            .map(() => '?')
            .join(',')})`,
          [sourceId, ...accepted.map((a) => a.message.messageId)],
        );
        insertedIds = rows.map((r) => r.id).filter((id) => ours.has(id));
        duplicates += accepted.length - insertedIds.length;
      }
    }
    const channel = request.channel;
    if (insertedIds.length > 0) ingestedTotal.inc({ channel }, insertedIds.length);
    if (duplicates > 0) duplicatesTotal.inc({ channel }, duplicates);
    if (rejected.length > 0) rejectedTotal.inc({ channel }, rejected.length);
    if (insertedIds.length > 0) this.events.publish(new MessagesIngested(sourceId, insertedIds));
    return {
      success: true,
      accepted: insertedIds.length,
      duplicates,
      rejected,
      eventIds: insertedIds,
    };
  }

  /**
   * Two API processes inserting overlapping messageIds in different orders can deadlock in InnoDB.
   * The victim's statement (autocommit) was rolled back whole, so it is run again, and then sees the
   * winner's rows as duplicates; a deadlock is no storage outage and must not become a 503.
   */
  private async insertEvents(sql: string, params: unknown[]): Promise<{ affectedRows: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.db.query(sql, params)) as { affectedRows: number };
      } catch (err) {
        const e = err as { code?: unknown; driverError?: { code?: unknown } };
        const deadlock = (e.driverError?.code ?? e.code) === 'ER_LOCK_DEADLOCK';
        if (!deadlock || attempt >= DEADLOCK_ATTEMPTS) throw err;
      }
    }
  }

  private async storeRejected(
    sourceId: string,
    receivedAt: Date,
    rejected: RejectedMessage[],
    payloads: unknown[],
  ): Promise<void> {
    const params = rejected.flatMap((r, i) => {
      const payload = storableRejectedPayload(payloads[i]);
      return [
        newId(receivedAt.getTime()),
        sourceId,
        r.messageId,
        r.index,
        payload,
        JSON.stringify(sanitizeJson(r.errors)),
        receivedAt,
      ];
    });
    await this.db.query(
      `INSERT INTO rejected_events (id, source_id, message_id, batch_index, payload, errors, received_at)
       VALUES ${rejected.map(() => '(?,?,?,?,?,?,?)').join(',')}`,
      params,
    );
  }
}

/**
 * A rejected message is kept whatever it is. What the database cannot hold as JSON (nested too
 * deep) is kept as its text instead.
 */
function storableRejectedPayload(raw: unknown): string {
  const clean = sanitizeJson(raw === undefined ? null : raw);
  if (clean !== null || raw === null || raw === undefined) return JSON.stringify(clean);
  let text: string;
  try {
    text = JSON.stringify(raw);
  } catch {
    text = String(raw);
  }
  return JSON.stringify({
    unstorable: 'nested too deep to store as JSON; kept as text',
    text: sanitizeJson(text.slice(0, MAX_MESSAGE_BYTES)),
  });
}
