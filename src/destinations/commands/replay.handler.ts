import { InjectQueue } from '@nestjs/bull';
import { BadRequestException } from '@nestjs/common';
import { CommandHandler, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { newId } from '../../common/ids';
import type { Page } from '../../common/pagination';
import type { EventView } from '../../ingestion/message/canonical-message';
import { GetEventsByIdsQuery } from '../../ingestion/queries/get-events-by-ids.query';
import { ListEventsQuery } from '../../ingestion/queries/list-events.query';
import { adapterFor } from '../adapters';
import { chunk, destinationAccepts } from '../adapters/common';
import { DestinationRegistry } from '../destination-registry';
import type { DestinationConfig } from '../destination-types';
import {
  DELIVERY_QUEUE,
  DeliveryJobData,
  deliveryJobOptions,
  JOB_EVENTS,
} from '../delivery/delivery.constants';
import { ReplayCommand, ReplayResult, ReplaySelector } from './replay.command';

const DEDUP_WINDOW_MS = 48 * 3600 * 1000;
const PAGE = 1000;
const IN_LIST = 1000;

/** destination id → event id → the Track row replayed (null when the event never went there). */
type Targets = Map<string, Map<string, string | null>>;

@CommandHandler(ReplayCommand)
export class ReplayHandler implements ICommandHandler<ReplayCommand> {
  constructor(
    private readonly registry: DestinationRegistry,
    private readonly queries: QueryBus,
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJobData>,
  ) {}

  async execute({ selector }: ReplayCommand): Promise<ReplayResult> {
    const dest = selector.destinationId ? await this.registry.get(selector.destinationId) : null;
    if (selector.destinationId && !dest) {
      throw new BadRequestException(`destinationId ${selector.destinationId} is not a destination`);
    }
    const targets: Targets = new Map();
    // Event id → event time (ms): all a replay needs of the event, kept small so a large backfill fits.
    const events = new Map<string, number>();
    if (selector.trackIds?.length) await this.byTracks(selector, targets);
    if (selector.eventIds?.length) await this.byEvents(selector, dest, targets, events);
    if (!selector.trackIds?.length && !selector.eventIds?.length) {
      if (!dest)
        throw new BadRequestException(
          'give trackIds, eventIds, or destinationId with status or from/to',
        );
      if (selector.status) await this.byStatus(selector, dest, targets);
      else if (selector.from || selector.to) await this.backfill(selector, dest, targets, events);
      else
        throw new BadRequestException('with destinationId alone, give status or from/to as well');
    }
    await this.loadEvents(targets, events);
    return this.enqueue(selector, targets, events);
  }

  private add(
    targets: Targets,
    destinationId: string,
    eventId: string,
    trackId: string | null,
  ): void {
    let m = targets.get(destinationId);
    if (!m) targets.set(destinationId, (m = new Map()));
    if (!m.has(eventId) || trackId) m.set(eventId, trackId ?? m.get(eventId) ?? null);
  }

  private async byTracks(selector: ReplaySelector, targets: Targets): Promise<void> {
    for (const ids of chunk(selector.trackIds ?? [], IN_LIST)) {
      const rows: Array<{ id: string; event_id: string; destination_id: string }> =
        await this.db.query(
          `SELECT id, event_id, destination_id FROM tracks WHERE id IN (${ids.map(() => '?').join(',')}) ORDER BY id`,
          ids,
        );
      for (const r of rows) {
        if (selector.destinationId && r.destination_id !== selector.destinationId) continue;
        this.add(targets, r.destination_id, r.event_id, r.id);
      }
    }
  }

  /** Each event to the named destination, or to every enabled destination of its source that takes it. */
  private async byEvents(
    selector: ReplaySelector,
    dest: DestinationConfig | null,
    targets: Targets,
    events: Map<string, number>,
  ): Promise<void> {
    for (const ids of chunk(selector.eventIds ?? [], IN_LIST)) {
      const found: EventView[] = await this.queries.execute(new GetEventsByIdsQuery(ids));
      const latest = await this.latestTracks(
        found.map((e) => e.id),
        dest?.id,
      );
      for (const e of found) {
        // Bot traffic is never forwarded, not even on request: no job, no Track row.
        if (e.bot) continue;
        events.set(e.id, Date.parse(e.timestamp));
        const dests = dest ? [dest] : await this.registry.enabledFor(e.sourceId);
        for (const d of dests) {
          if (!dest && !destinationAccepts(adapterFor(d.type), d, e)) continue;
          this.add(targets, d.id, e.id, latest.get(`${d.id}|${e.id}`) ?? null);
        }
      }
    }
  }

  /** The destination's events whose latest row has the status (e.g. every dead letter). */
  private async byStatus(
    selector: ReplaySelector,
    dest: DestinationConfig,
    targets: Targets,
  ): Promise<void> {
    const rows: Array<{ id: string; event_id: string }> = await this.db.query(
      `SELECT t.id, t.event_id FROM tracks t
         JOIN (SELECT event_id, MAX(id) AS id FROM tracks WHERE destination_id = ? GROUP BY event_id) l ON l.id = t.id
        WHERE t.status = ?`,
      [dest.id, selector.status],
    );
    for (const r of rows) this.add(targets, dest.id, r.event_id, r.id);
  }

  /** Every event of the range from the destination's source that the destination takes. */
  private async backfill(
    selector: ReplaySelector,
    dest: DestinationConfig,
    targets: Targets,
    events: Map<string, number>,
  ): Promise<void> {
    const adapter = adapterFor(dest.type);
    let cursor: string | null = null;
    do {
      const page: Page<EventView> = await this.queries.execute(
        new ListEventsQuery(
          { sourceId: dest.sourceId, from: selector.from, to: selector.to },
          PAGE,
          cursor,
        ),
      );
      const taken = page.items.filter((e) => !e.bot && destinationAccepts(adapter, dest, e));
      const latest = await this.latestTracks(
        taken.map((e) => e.id),
        dest.id,
      );
      for (const e of taken) {
        events.set(e.id, Date.parse(e.timestamp));
        this.add(targets, dest.id, e.id, latest.get(`${dest.id}|${e.id}`) ?? null);
      }
      cursor =
        page.items.length > 0 && page.nextCursor ? page.items[page.items.length - 1].id : null;
    } while (cursor);
  }

  /** "destination|event" → the id of the newest Track row. */
  private async latestTracks(
    eventIds: string[],
    destinationId?: string,
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const ids of chunk(eventIds, IN_LIST)) {
      const rows: Array<{ id: string; event_id: string; destination_id: string }> =
        await this.db.query(
          `SELECT MAX(id) AS id, event_id, destination_id FROM tracks WHERE event_id IN (${ids
            .map(() => '?')
            .join(
              ',',
            )})${destinationId ? ' AND destination_id = ?' : ''} GROUP BY event_id, destination_id`,
          destinationId ? [...ids, destinationId] : ids,
        );
      for (const r of rows) out.set(`${r.destination_id}|${r.event_id}`, r.id);
    }
    return out;
  }

  private async loadEvents(targets: Targets, events: Map<string, number>): Promise<void> {
    const missing = new Set<string>();
    for (const m of targets.values())
      for (const id of m.keys()) if (!events.has(id)) missing.add(id);
    for (const ids of chunk([...missing], IN_LIST)) {
      for (const e of await this.queries.execute(new GetEventsByIdsQuery(ids)))
        events.set(e.id, Date.parse(e.timestamp));
    }
  }

  private async enqueue(
    selector: ReplaySelector,
    targets: Targets,
    events: Map<string, number>,
  ): Promise<ReplayResult> {
    const replayId = newId();
    const now = Date.now();
    let queued = 0;
    let olderThan48h = 0;
    let outsideWindow = 0;
    const jobs: Array<{ data: DeliveryJobData; opts: ReturnType<typeof deliveryJobOptions> }> = [];
    for (const [destinationId, m] of targets) {
      const d = await this.registry.get(destinationId);
      if (!d) continue;
      const window = adapterFor(d.type).windowMs;
      // Events within the time range of the selector only (from/to also narrow track and event picks).
      const ids = [...m.keys()].filter((id) => {
        const t = events.get(id);
        if (t === undefined) return false;
        return (
          (!selector.from || t >= selector.from.getTime()) &&
          (!selector.to || t <= selector.to.getTime())
        );
      });
      ids.sort();
      ids.forEach((id) => {
        const age = now - (events.get(id) as number);
        if (age > DEDUP_WINDOW_MS) olderThan48h++;
        if (window !== null && age > window) outsideWindow++;
      });
      chunk(ids, JOB_EVENTS).forEach((eventIds, n) => {
        const replayOf: Record<string, string> = {};
        for (const id of eventIds) {
          const t = m.get(id);
          if (t) replayOf[id] = t;
        }
        const jobId = `replay.${replayId}.${destinationId}.${n}`;
        jobs.push({
          data: { destinationId, eventIds, attempt: 1, runId: replayId, replayOf, rootId: jobId },
          opts: deliveryJobOptions(jobId),
        });
        queued += eventIds.length;
      });
    }
    for (const part of chunk(jobs, 100)) await this.queue.addBulk(part);
    const notes: string[] = [];
    if (olderThan48h > 0) {
      notes.push(
        `${olderThan48h} of the replayed events are older than 48 hours: Meta and TikTok only dedupe a server event against the browser pixel's (same event name and event_id) within 48 hours, so these may count twice there`,
      );
    }
    if (outsideWindow > 0) {
      notes.push(
        `${outsideWindow} are older than their platform accepts and will be recorded as skipped`,
      );
    }
    return {
      queued,
      replayId,
      olderThan48h,
      outsideWindow,
      ...(notes.length ? { note: notes.join('; ') } : {}),
    };
  }
}
