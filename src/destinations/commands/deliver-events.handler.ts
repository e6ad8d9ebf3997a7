import { InjectQueue } from '@nestjs/bull';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { newId } from '../../common/ids';
import { deliveriesTotal, deliveryLatency } from '../../common/metrics';
import { APP_CONFIG, AppConfig } from '../../config/configuration';
import type { ProfileView } from '../../identity/profile-view';
import { GetProfileQuery } from '../../identity/queries/get-profile.query';
import type { EventView } from '../../ingestion/message/canonical-message';
import { GetEventsByIdsQuery } from '../../ingestion/queries/get-events-by-ids.query';
import { adapterFor } from '../adapters';
import type { HttpResponse, Outcome, OutgoingRequest } from '../adapters/adapter';
import { destinationAccepts, parseJson, retryAfterMs } from '../adapters/common';
import { DestinationRegistry } from '../destination-registry';
import type { DestinationConfig, TrackStatus } from '../destination-types';
import {
  DELIVERY_QUEUE,
  DeliveryJobData,
  deliveryJobOptions,
  REQUEST_CONCURRENCY,
  sha1,
} from '../delivery/delivery.constants';
import { GoogleTokenService, TokenError } from '../delivery/google-token.service';
import { sendRequest } from '../delivery/http-client';
import { mapLimit } from '../delivery/map-limit';
import { retryDelayMs } from '../delivery/retry-policy';
import { MASK, maskValues } from '../secrets';
import { DeliverEventsCommand, DeliverySummary } from './deliver-events.command';

const FINAL: TrackStatus[] = ['succeeded', 'dead', 'skipped'];
const SECRET_HEADERS = new Set(['authorization', 'access-token', 'developer-token']);
const MAX_RESPONSE_TEXT = 4096;
const INSERT_ROWS = 500;
/** Finished rows written together while a job's requests are still going. */
const FLUSH_ROWS = 64;
/** Profile lookups in flight per job. */
const PROFILE_LOOKUPS = 16;

interface Row {
  id: string;
  eventId: string;
  status: TrackStatus;
  request: unknown;
  response: unknown;
  error: string | null;
  sentAt: Date | null;
}

function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = SECRET_HEADERS.has(k.toLowerCase())
      ? /^Bearer /i.test(v)
        ? `Bearer ${MASK}`
        : MASK
      : v;
  }
  return out;
}

const maskQuery = (url: string): string =>
  url.replace(/([?&](?:access_token|api_secret|key)=)[^&]*/gi, `$1${MASK}`);

function responseView(res: HttpResponse): Record<string, unknown> {
  const json = parseJson(res.body);
  const after = retryAfterMs(res);
  return {
    status: res.status,
    body: json !== undefined ? json : res.body.slice(0, MAX_RESPONSE_TEXT),
    ...(after !== undefined ? { retryAfterMs: after } : {}),
  };
}

function finalOf(
  o: Outcome,
  attempt: number,
  max: number,
): { status: TrackStatus; error: string | null } {
  if (o.status === 'succeeded') return { status: 'succeeded', error: null };
  if (o.status === 'dead') return { status: 'dead', error: o.error };
  return attempt >= max
    ? { status: 'dead', error: `gave up after ${attempt} attempts: ${o.error}` }
    : { status: 'failed', error: o.error };
}

/**
 * One delivery job: skip what this destination already has a final row for, build the platform's
 * requests, record a `pending` row per event and request, send, record the outcome, and queue a
 * retry job (with backoff, or after Retry-After) for whatever failed in a retryable way.
 */
@CommandHandler(DeliverEventsCommand)
export class DeliverEventsHandler implements ICommandHandler<DeliverEventsCommand> {
  private readonly logger = new Logger('Delivery');

  constructor(
    private readonly registry: DestinationRegistry,
    private readonly queries: QueryBus,
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJobData>,
    private readonly tokens: GoogleTokenService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ job }: DeliverEventsCommand): Promise<DeliverySummary> {
    const summary: DeliverySummary = {
      succeeded: 0,
      failed: 0,
      dead: 0,
      skipped: 0,
      alreadyDone: 0,
    };
    const dest = await this.registry.get(job.destinationId);
    if (!dest || job.eventIds.length === 0) return summary;
    const adapter = adapterFor(dest.type);
    const events = (await this.queries.execute(new GetEventsByIdsQuery(job.eventIds))).map((e) =>
      !e.profileId && job.profileIds?.[e.id] ? { ...e, profileId: job.profileIds[e.id] } : e,
    );

    const done = await this.settle(dest.id, job);
    const todo = events.filter((e) => !done.has(e.id));
    summary.alreadyDone = events.length - todo.length;
    if (todo.length === 0) return summary;

    const now = new Date();
    const rows: Row[] = [];
    const skip = (eventId: string, reason: string) =>
      rows.push({
        id: newId(),
        eventId,
        status: 'skipped',
        request: null,
        response: null,
        error: reason,
        sentAt: null,
      });
    const sendable: EventView[] = [];
    for (const e of todo) {
      if (!dest.enabled) skip(e.id, 'the destination is disabled');
      else if (e.bot) skip(e.id, 'bot traffic is never forwarded');
      else if (!destinationAccepts(adapter, dest, e))
        skip(e.id, "the destination's filter or mapping does not take this event");
      else sendable.push(e);
    }
    const profiles = await this.profiles(sendable);
    const built = adapter.build(
      sendable.map((event) => ({
        event,
        profile: event.profileId ? (profiles.get(event.profileId) ?? null) : null,
      })),
      dest,
      now,
    );
    for (const s of built.skipped) skip(s.eventId, s.reason);
    summary.skipped = rows.length;
    if (rows.length > 0)
      deliveriesTotal.inc({ destination_type: dest.type, status: 'skipped' }, rows.length);

    const secrets = [...dest.secrets];
    let authFailure: TokenError | null = null;
    if (adapter.oauth && built.requests.length > 0) {
      try {
        const token = await this.tokens.token(dest);
        secrets.push(token);
        for (const r of built.requests) r.headers.Authorization = `Bearer ${token}`;
      } catch (err) {
        if (!(err instanceof TokenError)) throw err;
        authFailure = err;
      }
    }

    // A pending row per event and request, written before anything is sent: a worker killed mid-request
    // leaves it pending, and the next run of the job marks it and sends again.
    const pending = built.requests.map((req) =>
      req.eventIds.map((eventId, i): Row => ({
        id: newId(),
        eventId,
        status: 'pending',
        request: this.requestView(req, i, secrets),
        response: null,
        error: null,
        sentAt: null,
      })),
    );
    await this.insert(dest, job, [...rows, ...pending.flat()]);

    const updates: Row[] = [];
    const retries: Array<{ eventIds: string[]; delayMs: number }> = [];
    // Outcomes are written as they come, a few dozen rows at a time, so a worker killed in the middle
    // of a large job leaves only the rows of requests still in flight to send again.
    let buffer: Row[] = [];
    let flushing: Promise<void> = Promise.resolve();
    let flushError: unknown = null;
    const flush = (): void => {
      const rowsNow = buffer;
      buffer = [];
      // Chained so that writes stay in order; not awaited by the senders, so requests keep flowing.
      flushing = flushing
        .then(() => this.update(rowsNow))
        .catch((err: unknown) => {
          flushError ??= err;
        });
    };

    await mapLimit(built.requests, REQUEST_CONCURRENCY, async (req, r) => {
      let result: {
        sentAt: Date | null;
        response: Record<string, unknown> | null;
        outcome: Outcome | Outcome[];
      };
      if (authFailure) {
        result = { sentAt: null, response: null, outcome: authFailure.outcome };
      } else {
        const sentAt = new Date();
        const stopTimer = deliveryLatency.startTimer({ destination_type: dest.type });
        try {
          const res = await sendRequest(req, this.config.deliveryTimeoutMs).finally(stopTimer);
          result = {
            sentAt,
            response: responseView(res),
            outcome: adapter.classify(res, req, dest),
          };
        } catch (err) {
          result = {
            sentAt,
            response: null,
            outcome: { status: 'retry', error: `network error: ${(err as Error).message}` },
          };
        }
      }
      const retryIds: string[] = [];
      let retryAfter: number | undefined;
      req.eventIds.forEach((eventId, i) => {
        const outcome = Array.isArray(result.outcome) ? result.outcome[i] : result.outcome;
        if (outcome.status === 'retry' && outcome.invalidateAuth) this.tokens.invalidate(dest);
        const final = finalOf(outcome, job.attempt, this.config.deliveryMaxAttempts);
        summary[final.status as 'succeeded' | 'failed' | 'dead']++;
        deliveriesTotal.inc({ destination_type: dest.type, status: final.status });
        if (final.status === 'failed') {
          retryIds.push(eventId);
          if (outcome.status === 'retry')
            retryAfter = Math.max(retryAfter ?? 0, outcome.retryAfterMs ?? 0);
        }
        const row: Row = {
          ...pending[r][i],
          status: final.status,
          response: result.response ? maskValues(result.response, secrets) : null,
          error: final.error ? maskValues(final.error, secrets) : null,
          sentAt: result.sentAt,
        };
        updates.push(row);
        buffer.push(row);
      });
      if (retryIds.length > 0) {
        retries.push({
          eventIds: retryIds,
          delayMs: retryDelayMs(job.attempt, this.config.deliveryBackoffMs, retryAfter),
        });
      }
      if (buffer.length >= FLUSH_ROWS) flush();
    });
    flush();
    await flushing;
    if (flushError) throw flushError;
    if (retries.length > 0) await this.enqueueRetries(job, retries);
    if (summary.failed + summary.dead > 0) {
      const firstError = updates.find((u) => u.error)?.error;
      this.logger.warn(
        {
          destinationId: dest.id,
          type: dest.type,
          attempt: job.attempt,
          ...summary,
          error: firstError,
        },
        'delivery failures',
      );
    }
    return summary;
  }

  /**
   * Events this destination already has a final row for in this run are done. Pending rows of this run
   * are from a worker that died mid-request: they become `failed` and the events go again.
   */
  private async settle(destinationId: string, job: DeliveryJobData): Promise<Set<string>> {
    const rows: Array<{ id: string; event_id: string; status: TrackStatus }> = await this.db.query(
      `SELECT id, event_id, status FROM tracks WHERE destination_id = ? AND event_id IN (${job.eventIds
        .map(() => '?')
        .join(',')}) AND run_id <=> ? AND status IN ('pending','succeeded','dead','skipped')`,
      [destinationId, ...job.eventIds, job.runId],
    );
    const done = new Set(rows.filter((r) => FINAL.includes(r.status)).map((r) => r.event_id));
    const stale = rows.filter((r) => r.status === 'pending').map((r) => r.id);
    if (stale.length > 0) {
      await this.db.query(
        `UPDATE tracks SET status = 'failed', error = 'interrupted: the worker stopped before the response' WHERE status = 'pending' AND id IN (${stale
          .map(() => '?')
          .join(',')})`,
        stale,
      );
    }
    return done;
  }

  private requestView(req: OutgoingRequest, index: number, secrets: string[]): unknown {
    const single = req.eventIds.length === 1;
    return maskValues(
      {
        method: req.method,
        url: maskQuery(req.url),
        headers: maskHeaders(req.headers),
        body: single ? (parseJson(req.body) ?? req.body) : req.parts[index],
        ...(single ? {} : { batch: { size: req.eventIds.length, index } }),
      },
      secrets,
    );
  }

  private async profiles(events: EventView[]): Promise<Map<string, ProfileView | null>> {
    const ids = [...new Set(events.map((e) => e.profileId).filter((id): id is string => !!id))];
    const out = new Map<string, ProfileView | null>();
    await mapLimit(ids, PROFILE_LOOKUPS, async (id) => {
      out.set(id, await this.profile(id));
    });
    return out;
  }

  private profile(id: string): Promise<ProfileView | null> {
    return this.queries.execute(new GetProfileQuery({ id }));
  }

  private async insert(dest: DestinationConfig, job: DeliveryJobData, rows: Row[]): Promise<void> {
    const createdAt = new Date();
    for (let i = 0; i < rows.length; i += INSERT_ROWS) {
      const part = rows.slice(i, i + INSERT_ROWS);
      await this.db.query(
        `INSERT INTO tracks (id, event_id, destination_id, attempt, status, request, response, error, replay_of, run_id, created_at, sent_at) VALUES ${part
          .map(() => '(?,?,?,?,?,?,?,?,?,?,?,?)')
          .join(',')}`,
        part.flatMap((r) => [
          r.id,
          r.eventId,
          dest.id,
          job.attempt,
          r.status,
          r.request === null ? null : JSON.stringify(r.request),
          r.response === null ? null : JSON.stringify(r.response),
          r.error,
          job.replayOf?.[r.eventId] ?? null,
          job.runId,
          createdAt,
          r.sentAt,
        ]),
      );
    }
  }

  /** Rows that ended alike (a batch, or webhooks answered the same) are updated in one statement. */
  private async update(rows: Row[]): Promise<void> {
    const groups = new Map<string, Row[]>();
    for (const r of rows) {
      const key = JSON.stringify([r.status, r.response, r.error]);
      const list = groups.get(key) ?? [];
      list.push(r);
      groups.set(key, list);
    }
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += INSERT_ROWS) {
        const part = group.slice(i, i + INSERT_ROWS);
        const { status, response, error } = part[0];
        await this.db.query(
          `UPDATE tracks SET status = ?, response = ?, error = ?, sent_at = CASE id ${part
            .map(() => 'WHEN ? THEN ?')
            .join(' ')} END WHERE id IN (${part.map(() => '?').join(',')})`,
          [
            status,
            response === null ? null : JSON.stringify(response),
            error,
            ...part.flatMap((r) => [r.id, r.sentAt]),
            ...part.map((r) => r.id),
          ],
        );
      }
    }
  }

  private async enqueueRetries(
    job: DeliveryJobData,
    retries: Array<{ eventIds: string[]; delayMs: number }>,
  ): Promise<void> {
    const pick = (map: Record<string, string> | undefined, ids: string[]) =>
      map ? Object.fromEntries(ids.filter((id) => map[id]).map((id) => [id, map[id]])) : undefined;
    await this.queue.addBulk(
      retries.map(({ eventIds, delayMs }) => {
        const jobId = `${job.rootId}.a${job.attempt + 1}.${sha1(eventIds.join(',')).slice(0, 16)}`;
        return {
          data: {
            ...job,
            eventIds,
            attempt: job.attempt + 1,
            replayOf: pick(job.replayOf, eventIds),
            profileIds: pick(job.profileIds, eventIds),
          },
          opts: deliveryJobOptions(jobId, delayMs),
        };
      }),
    );
  }
}
