import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { newId } from '../../common/ids';
import { APP_CONFIG, type AppConfig } from '../../config/configuration';
import type { EventView } from '../../ingestion/message/canonical-message';
import { parseJsonColumn } from '../../ingestion/event-view';
import type { Attribution } from '../profile-view';
import { type Identity, identitiesOf, identityKey, normalizeIdentity } from './identities';
import {
  canonicalOrder,
  type ConflictRecord,
  IdentityGraph,
  type MergeRecord,
  type ProfileState,
  type ResolutionInput,
} from './identity-graph';
import { touchOf, traitsOf } from './profile-data';

export interface ResolutionOutcome {
  /** event id → profile id (null: the message carries no identity, e.g. cookieless). */
  profiles: Map<string, string | null>;
  /** Merges of profiles that existed before this batch, surviving ids as of the commit. */
  merges: MergeRecord[];
  conflicts: ConflictRecord[];
  /** Transactions it took (more than one after a deadlock or a lost insert race). */
  attempts: number;
}

interface ProfileRow {
  id: string;
  user_id: string | null;
  merged_into: string | null;
  contested_by: unknown;
  traits: unknown;
  trait_times: unknown;
  first_touch: unknown;
  last_touch: unknown;
  first_seen_at: Date | null;
  last_seen_at: Date | null;
  created_at: Date;
}

/** Lock conflicts and lost insert races: the transaction is rolled back whole and run again. */
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_DUP_ENTRY']);
const MAX_ATTEMPTS = 12;
/** Rounds of "lock the profiles the identities point at, re-read" before giving up and retrying. */
const MAX_LOCK_ROUNDS = 6;

function isRetryable(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

class LockChurn extends Error {
  readonly code = 'ER_LOCK_DEADLOCK';
}

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);
const sqlDate = (t: number | null): Date | null => (t === null ? null : new Date(t));

export function toResolutionInput(e: EventView, defaultRegion: string): ResolutionInput {
  return {
    eventId: e.id,
    messageId: e.messageId,
    at: Date.parse(e.timestamp),
    userId: normalizeIdentity('userId', e.userId, defaultRegion),
    identities: identitiesOf(e, defaultRegion),
    traits: traitsOf(e),
    touch: touchOf(e),
  };
}

/**
 * Resolves a batch of stored messages to profiles in one READ COMMITTED transaction: one query
 * loads every identity of the batch, the profiles they point at are locked with SELECT ... FOR
 * UPDATE in id order (the fixed order keeps concurrent workers from deadlocking in the common case;
 * InnoDB's deadlock detection and a retry cover the rest), the batch is applied in memory in
 * canonical order, and the changes are written back with a handful of multi-row statements.
 * New identities go in through the (type, value) primary key: a worker that loses the race to
 * create one rolls back and, on retry, finds the winner's row. All state is in MySQL, so any
 * number of worker processes can resolve at once.
 */
@Injectable()
export class IdentityResolver {
  private readonly logger = new Logger('IdentityResolver');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'defaultPhoneRegion'>,
  ) {}

  inputsOf(events: EventView[]): ResolutionInput[] {
    return events.map((e) => toResolutionInput(e, this.config.defaultPhoneRegion));
  }

  async resolve(inputs: ResolutionInput[]): Promise<ResolutionOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { ...(await this.attempt(inputs)), attempts: attempt };
      } catch (err) {
        if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
        this.logger.debug(
          { attempt, code: (err as { code?: string }).code },
          'identity resolution retried',
        );
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
  }

  private async attempt(inputs: ResolutionInput[]): Promise<Omit<ResolutionOutcome, 'attempts'>> {
    const ordered = [...inputs].sort(canonicalOrder);
    const keys = [...new Set(ordered.flatMap((m) => m.identities.map(identityKey)))];
    const qr = this.db.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction('READ COMMITTED');
      const now = Date.now();
      const graph = new IdentityGraph(() => newId(now), now);
      await this.loadAndLock(qr, ordered, keys, graph);
      for (const m of ordered) graph.apply(m);
      // Read at the end: a component taken out of a profile later in the batch takes its events along.
      const profiles = new Map(ordered.map((m) => [m.eventId, graph.profileOf(m)]));
      const outcome = await this.write(qr, graph, profiles, now);
      await qr.commitTransaction();
      return outcome;
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await qr.release();
    }
  }

  /**
   * Reads the batch's identities, locks the profiles they point at (sorted), and reads again: a
   * merge committed in between moves identities to a profile not locked yet, which the next round
   * locks. Two rounds in the common case; identities then cannot move until we commit.
   */
  private async loadAndLock(
    qr: QueryRunner,
    batch: ResolutionInput[],
    keys: string[],
    graph: IdentityGraph,
  ) {
    const byKey = new Map(batch.flatMap((m) => m.identities).map((i) => [identityKey(i), i]));
    const locked = new Map<string, ProfileRow>();
    let owners = await this.readIdentities(qr, keys, byKey);
    for (let round = 0; ; round++) {
      const wanted = new Set([...owners.values()].map((o) => o.profile));
      for (const row of locked.values()) if (row.merged_into) wanted.add(row.merged_into);
      const missing = [...wanted].filter((id) => !locked.has(id)).sort();
      if (missing.length === 0) break;
      if (round >= MAX_LOCK_ROUNDS)
        throw new LockChurn('identity graph kept changing under the batch');
      const rows: ProfileRow[] = await qr.query(
        `SELECT id, user_id, merged_into, contested_by, traits, trait_times, first_touch, last_touch, first_seen_at,
                last_seen_at, created_at
           FROM profiles WHERE id IN (${missing.map(() => '?').join(',')}) ORDER BY id FOR UPDATE`,
        missing,
      );
      for (const r of rows) locked.set(r.id, r);
      // An identity pointing at a profile row that does not exist would loop forever: treat as churn.
      if (rows.length !== missing.length)
        throw new LockChurn('identity points at a missing profile');
      owners = await this.readIdentities(qr, keys, byKey);
    }
    for (const r of locked.values()) {
      if (r.merged_into) continue;
      const state: ProfileState = {
        id: r.id,
        userId: r.user_id,
        contestedBy: parseJsonColumn<string[] | null>(r.contested_by, null) ?? [],
        createdAt: r.created_at.getTime(),
        traits: {
          values: parseJsonColumn(r.traits, {}),
          times: parseJsonColumn(r.trait_times, {}),
        },
        touches: {
          first: parseJsonColumn<Attribution | null>(r.first_touch, null),
          last: parseJsonColumn<Attribution | null>(r.last_touch, null),
        },
        firstSeenAt: ms(r.first_seen_at),
        lastSeenAt: ms(r.last_seen_at),
        mergedInto: null,
        isNew: false,
        dirty: false,
        seenDirty: false,
      };
      graph.addProfile(state);
    }
    for (const [key, o] of owners) graph.addIdentity(byKey.get(key)!, o.profile, o.component);
  }

  private async readIdentities(
    qr: QueryRunner,
    keys: string[],
    byKey: Map<string, Identity>,
  ): Promise<Map<string, { profile: string; component: string | null }>> {
    const owners = new Map<string, { profile: string; component: string | null }>();
    if (keys.length === 0) return owners;
    const params = keys.flatMap((k) => {
      const i = byKey.get(k)!;
      return [i.type, i.value];
    });
    const rows: Array<{
      type: string;
      value: string;
      profile_id: string;
      component_id: string | null;
    }> = await qr.query(
      `SELECT type, value, profile_id, component_id FROM identities WHERE (type, value) IN (${keys.map(() => '(?,?)').join(',')})`,
      params,
    );
    for (const r of rows) {
      owners.set(`${r.type}:${r.value}`, { profile: r.profile_id, component: r.component_id });
    }
    return owners;
  }

  private async write(
    qr: QueryRunner,
    graph: IdentityGraph,
    eventProfiles: Map<string, string | null>,
    now: number,
  ): Promise<Omit<ResolutionOutcome, 'attempts'>> {
    const nowDate = new Date(now);
    // Sorted, so that two workers inserting overlapping identities lock them in the same order.
    const fresh = [...graph.newIdentities.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, i]) => [i.type, i.value, graph.ownerOf(key)!, graph.componentIdOf(key), nowDate]);
    if (fresh.length > 0) {
      await qr.query(
        `INSERT INTO identities (type, value, profile_id, component_id, created_at) VALUES ${fresh.map(() => '(?,?,?,?,?)').join(',')}`,
        fresh.flat(),
      );
    }

    // Profiles created and merged away within this batch never reach the database.
    const changed = [...graph.profiles.values()].filter(
      (p) => p.dirty && !(p.isNew && p.mergedInto),
    );
    if (changed.length > 0) {
      await qr.query(
        `INSERT INTO profiles (id, user_id, merged_into, contested_by, traits, trait_times, first_touch, last_touch,
                               first_seen_at, last_seen_at, created_at, updated_at)
         VALUES ${changed.map(() => '(?,?,?,?,?,?,?,?,?,?,?,?)').join(',')}
         ON DUPLICATE KEY UPDATE user_id = VALUES(user_id), merged_into = VALUES(merged_into),
           contested_by = VALUES(contested_by),
           traits = VALUES(traits), trait_times = VALUES(trait_times), first_touch = VALUES(first_touch),
           last_touch = VALUES(last_touch), first_seen_at = VALUES(first_seen_at),
           last_seen_at = VALUES(last_seen_at), updated_at = VALUES(updated_at)`,
        changed.flatMap((p) => [
          p.id,
          p.userId,
          p.mergedInto ? graph.live(p.mergedInto) : null,
          p.contestedBy.length > 0 ? JSON.stringify(p.contestedBy) : null,
          JSON.stringify(p.traits.values),
          JSON.stringify(p.traits.times),
          p.touches.first ? JSON.stringify(p.touches.first) : null,
          p.touches.last ? JSON.stringify(p.touches.last) : null,
          sqlDate(p.firstSeenAt),
          sqlDate(p.lastSeenAt),
          new Date(p.createdAt),
          nowDate,
        ]),
      );
    }

    const seenOnly = [...graph.profiles.values()].filter(
      (p) => p.seenDirty && !p.dirty && !p.isNew,
    );
    if (seenOnly.length > 0) {
      await qr.query(
        `UPDATE profiles p JOIN (${seenOnly.map((_, i) => (i === 0 ? 'SELECT ? AS id, ? AS f, ? AS l' : 'SELECT ?, ?, ?')).join(' UNION ALL ')}) v
            ON v.id = p.id
            SET p.first_seen_at = v.f, p.last_seen_at = v.l, p.updated_at = ?`,
        [
          ...seenOnly.flatMap((p) => [p.id, sqlDate(p.firstSeenAt), sqlDate(p.lastSeenAt)]),
          nowDate,
        ],
      );
    }

    const merges = graph.merges
      .filter((r) => !graph.profiles.get(r.from)!.isNew)
      .map((r) => ({ ...r, into: graph.live(r.into) }));
    const conflicts = graph.conflicts.map((c) => ({
      ...c,
      from: graph.live(c.from),
      into: graph.live(c.into),
    }));
    if (merges.length > 0) {
      const survivorOf = new Map(merges.map((r) => [r.from, r.into]));
      const losers = [...survivorOf.keys()];
      const when = losers.map(() => 'WHEN ? THEN ?').join(' ');
      const params = [...losers.flatMap((l) => [l, survivorOf.get(l)!]), ...losers];
      const remap = (table: string, column: string) =>
        qr.query(
          `UPDATE ${table} SET ${column} = CASE ${column} ${when} END WHERE ${column} IN (${losers.map(() => '?').join(',')})`,
          params,
        );
      await remap('identities', 'profile_id');
      // Keep merged_into one hop deep, so a merged-away id finds its survivor in one read.
      await remap('profiles', 'merged_into');
      await remap('events', 'profile_id');
    }
    await this.moveComponents(qr, graph);
    const audit = [
      ...merges.map((r) => ['merge', r, {}] as const),
      ...conflicts.map(
        (c) => ['conflict', c, { userIds: c.userIds, identities: c.identities }] as const,
      ),
    ];
    if (audit.length > 0) {
      await qr.query(
        `INSERT IGNORE INTO profile_merges (id, kind, from_profile_id, into_profile_id, event_id, message_id, details, created_at)
         VALUES ${audit.map(() => '(?,?,?,?,?,?,?,?)').join(',')}`,
        audit.flatMap(([kind, r, details]) => [
          newId(now),
          kind,
          r.from,
          r.into,
          r.eventId,
          r.messageId.slice(0, 255),
          JSON.stringify(details),
          nowDate,
        ]),
      );
    }

    const assigned = [...eventProfiles.entries()].filter(([, p]) => p !== null) as Array<
      [string, string]
    >;
    if (assigned.length > 0) {
      await qr.query(
        `UPDATE events SET profile_id = CASE id ${assigned.map(() => 'WHEN ? THEN ?').join(' ')} END
          WHERE id IN (${assigned.map(() => '?').join(',')})`,
        [...assigned.flat(), ...assigned.map(([id]) => id)],
      );
    }
    return { profiles: eventProfiles, merges, conflicts };
  }

  /**
   * Components that changed profile other than by a whole-profile merge (a contested component taken
   * out of a person's profile) move with their identities and their anonymous events; components
   * merged into another take its id. Runs after the profile merges have been written.
   */
  private async moveComponents(qr: QueryRunner, graph: IdentityGraph): Promise<void> {
    const moved: Array<{ component: string; from: string; to: string }> = [];
    const renamed: Array<[string, string]> = [];
    for (const c of graph.components.values()) {
      if (c.loadedProfile === null) continue;
      const live = graph.liveComponent(c.id);
      if (live.id !== c.id) renamed.push([c.id, live.id]);
      const from = graph.live(c.loadedProfile);
      const to = graph.live(live.profile);
      if (from !== to) moved.push({ component: c.id, from, to });
    }
    if (moved.length > 0) {
      await qr.query(
        `UPDATE identities SET profile_id = CASE component_id ${moved.map(() => 'WHEN ? THEN ?').join(' ')} END
          WHERE component_id IN (${moved.map(() => '?').join(',')})`,
        [...moved.flatMap((m) => [m.component, m.to]), ...moved.map((m) => m.component)],
      );
      // Rare (conflicts only): one statement per component is fine.
      for (const m of moved) {
        await qr.query(
          `UPDATE events SET profile_id = ? WHERE profile_id = ? AND user_id IS NULL AND anonymous_id IN
             (SELECT value FROM identities WHERE type = 'anonymousId' AND component_id = ?)`,
          [m.to, m.from, m.component],
        );
      }
    }
    if (renamed.length > 0) {
      await qr.query(
        `UPDATE identities SET component_id = CASE component_id ${renamed.map(() => 'WHEN ? THEN ?').join(' ')} END
          WHERE component_id IN (${renamed.map(() => '?').join(',')})`,
        [...renamed.flat(), ...renamed.map(([from]) => from)],
      );
    }
  }
}
