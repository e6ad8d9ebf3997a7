import type { JsonObject } from '../../ingestion/message/canonical-message';
import type { Attribution } from '../profile-view';
import { type Identity, identityKey } from './identities';
import {
  applyTouch,
  applyTraits,
  mergeTraits,
  type TimedTraits,
  type Touches,
} from './profile-data';

/** A profile as resolution works on it (loaded and locked, or created in this batch). */
export interface ProfileState {
  id: string;
  userId: string | null;
  createdAt: number;
  traits: TimedTraits;
  touches: Touches;
  firstSeenAt: number | null;
  lastSeenAt: number | null;
  mergedInto: string | null;
  isNew: boolean;
  dirty: boolean;
}

/** What resolution needs of one message, already normalised. */
export interface ResolutionInput {
  eventId: string;
  messageId: string;
  /** Event time, ms. */
  at: number;
  userId: string | null;
  identities: Identity[];
  traits: JsonObject | null;
  touch: Attribution | null;
}

export interface MergeRecord {
  from: string;
  into: string;
  eventId: string;
  messageId: string;
  at: number;
}

export interface ConflictRecord extends MergeRecord {
  /** The userId of the message and the different one the other profile already holds. */
  userIds: [string, string];
  /** The message's identities that stayed with the other profile. */
  identities: string[];
}

/** Time, then message id: the canonical order in which a batch's messages are applied. */
export const canonicalOrder = (a: ResolutionInput, b: ResolutionInput): number =>
  a.at - b.at ||
  (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0) ||
  (a.eventId < b.eventId ? -1 : 1);

const older = (a: ProfileState, b: ProfileState): number =>
  a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1);

/**
 * The identity graph of one batch, in memory, over the profiles the batch touches (which the caller
 * has locked). The merge rules:
 * - a message's identities end up in one profile, merging the profiles they were in into the
 *   oldest (created first, then lowest id);
 * - a profile never holds two different userIds: a profile whose userId differs from the message's
 *   is left alone, the refusal is recorded as a conflict, and the message's identities that were
 *   in no profile yet go to its userId's profile;
 * - a message without userId whose identities sit in profiles of several userIds joins the profile
 *   of the smallest userId (a content rule, so the choice does not depend on arrival order) and
 *   records conflicts with the others.
 * Identities never leave a profile except by a merge of the whole profile.
 */
export class IdentityGraph {
  readonly profiles = new Map<string, ProfileState>();
  /** identityKey → profile id (possibly merged away: read through `live`). */
  private readonly owner = new Map<string, string>();
  /** Identities first seen in this batch, in the order they appeared. */
  readonly newIdentities = new Map<string, Identity>();
  readonly merges: MergeRecord[] = [];
  readonly conflicts: ConflictRecord[] = [];

  constructor(
    private readonly createId: () => string,
    private readonly now: number,
  ) {}

  addProfile(p: ProfileState): void {
    this.profiles.set(p.id, p);
  }

  addIdentity(key: string, profileId: string): void {
    this.owner.set(key, profileId);
  }

  /** The surviving profile for an id (follows merges made in this batch). */
  live(id: string): string {
    let p = this.profiles.get(id);
    while (p && p.mergedInto) p = this.profiles.get(p.mergedInto);
    return p ? p.id : id;
  }

  ownerOf(key: string): string | null {
    const id = this.owner.get(key);
    return id === undefined ? null : this.live(id);
  }

  /** Applies one message; returns the profile it belongs to, or null when it carries no identity. */
  apply(m: ResolutionInput): string | null {
    if (m.identities.length === 0) return null;
    const touched = [
      ...new Set(m.identities.map((i) => this.ownerOf(identityKey(i))).filter((p) => p !== null)),
    ]
      .map((id) => this.profiles.get(id)!)
      .sort(older);
    // A message without userId joins the known person its identities point at; when they point at
    // several, it sides with the smallest userId: a choice by content, not by timing.
    const userId =
      m.userId ??
      ([...new Set(touched.map((p) => p.userId).filter((u) => u !== null))].sort()[0] || null);
    const group = touched.filter((p) => p.userId === null || p.userId === userId);
    const refused = touched.filter((p) => p.userId !== null && p.userId !== userId);
    const target = group.length > 0 ? this.mergeAll(group, m) : this.create(m.at);
    if (m.userId !== null && target.userId !== m.userId) {
      target.userId = m.userId;
      target.dirty = true;
    }
    for (const i of m.identities) {
      const key = identityKey(i);
      if (!this.owner.has(key)) {
        this.owner.set(key, target.id);
        this.newIdentities.set(key, i);
      }
    }
    for (const other of refused) {
      this.conflicts.push({
        from: other.id,
        into: target.id,
        eventId: m.eventId,
        messageId: m.messageId,
        at: m.at,
        userIds: [userId!, other.userId!],
        identities: m.identities.map(identityKey).filter((k) => this.ownerOf(k) === other.id),
      });
    }
    this.record(target, m);
    return target.id;
  }

  private create(at: number): ProfileState {
    const p: ProfileState = {
      id: this.createId(),
      userId: null,
      createdAt: this.now,
      traits: { values: {}, times: {} },
      touches: { first: null, last: null },
      firstSeenAt: at,
      lastSeenAt: at,
      mergedInto: null,
      isNew: true,
      dirty: true,
    };
    this.profiles.set(p.id, p);
    return p;
  }

  private mergeAll(group: ProfileState[], m: ResolutionInput): ProfileState {
    const [survivor, ...others] = group;
    for (const loser of others) {
      mergeTraits(survivor.traits, loser.traits);
      applyTouch(survivor.touches, loser.touches.first);
      applyTouch(survivor.touches, loser.touches.last);
      survivor.firstSeenAt = minOf(survivor.firstSeenAt, loser.firstSeenAt);
      survivor.lastSeenAt = maxOf(survivor.lastSeenAt, loser.lastSeenAt);
      survivor.userId = survivor.userId ?? loser.userId;
      survivor.dirty = true;
      loser.mergedInto = survivor.id;
      loser.dirty = true;
      this.merges.push({
        from: loser.id,
        into: survivor.id,
        eventId: m.eventId,
        messageId: m.messageId,
        at: m.at,
      });
    }
    return survivor;
  }

  private record(p: ProfileState, m: ResolutionInput): void {
    if (m.traits && applyTraits(p.traits, m.traits, m.at)) p.dirty = true;
    if (applyTouch(p.touches, m.touch)) p.dirty = true;
    if (p.firstSeenAt === null || m.at < p.firstSeenAt) {
      p.firstSeenAt = m.at;
      p.dirty = true;
    }
    if (p.lastSeenAt === null || m.at > p.lastSeenAt) {
      p.lastSeenAt = m.at;
      p.dirty = true;
    }
  }
}

const minOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);
const maxOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);
