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

/**
 * A profile as resolution works on it (loaded and locked, or created in this batch). A profile is
 * one of three kinds: a known person (`userId` set: the userId and every component seen only with
 * it), an anonymous component (neither set), or a contested component (`contestedBy`: the userIds it
 * was seen with, two or more).
 */
export interface ProfileState {
  id: string;
  userId: string | null;
  contestedBy: string[];
  createdAt: number;
  traits: TimedTraits;
  touches: Touches;
  firstSeenAt: number | null;
  lastSeenAt: number | null;
  mergedInto: string | null;
  isNew: boolean;
  /** Identity, traits or attribution changed: the whole row is written. */
  dirty: boolean;
  /** Only first/last seen moved (a returning visitor): a slimmer write does. */
  seenDirty: boolean;
}

/**
 * A component: non-userId identities linked by messages that carry no userId. Components only ever
 * merge, so they, and the userIds each was seen with, are the same whatever the order of messages.
 */
export interface ComponentState {
  id: string;
  /** The profile holding the component (read through `live`). */
  profile: string;
  /** The profile it was in when loaded; null when created in this batch. */
  loadedProfile: string | null;
  mergedInto: string | null;
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
  /** Every userId the contested identities were seen with. */
  userIds: string[];
  /** The message's identities that were taken out of (or kept out of) a person's profile. */
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
 * has locked). The rules make the partition of identities into profiles a function of the set of
 * messages alone:
 * - a message without userId links its identities into one component;
 * - a message with userId U ties each of its other identities' components to U (it does not link
 *   them with each other: "U used A" and "U used E" are two facts about U, not one about A and E);
 * - a component seen with no userId is a profile of its own; seen with exactly one userId U, it is
 *   part of U's profile; seen with two or more, it is contested: taken out of (or kept out of) every
 *   person's profile into a profile of its own, and recorded as a conflict. So a profile never
 *   holds two userIds, and which userId "got there first" never matters.
 * Merges go into the oldest profile (created first, then lowest id). Traits and attribution follow
 * merges but are not split when a contested component is taken out of a profile.
 */
export class IdentityGraph {
  readonly profiles = new Map<string, ProfileState>();
  readonly components = new Map<string, ComponentState>();
  /** userId value → profile id. */
  private readonly userOwner = new Map<string, string>();
  /** non-userId identity key → component id. */
  private readonly componentOf = new Map<string, string>();
  /** Identities first seen in this batch. */
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

  /** A stored identity: userIds point at their profile, the others at their component. */
  addIdentity(i: Identity, profileId: string, componentId: string | null): void {
    if (i.type === 'userId') {
      this.userOwner.set(i.value, profileId);
      return;
    }
    const id = componentId ?? this.createId();
    if (!this.components.has(id)) {
      this.components.set(id, {
        id,
        profile: profileId,
        loadedProfile: profileId,
        mergedInto: null,
      });
    }
    this.componentOf.set(identityKey(i), id);
  }

  /** The surviving profile for an id (follows merges made in this batch). */
  live(id: string): string {
    let p = this.profiles.get(id);
    while (p && p.mergedInto) p = this.profiles.get(p.mergedInto);
    return p ? p.id : id;
  }

  liveComponent(id: string): ComponentState {
    let c = this.components.get(id)!;
    while (c.mergedInto) c = this.components.get(c.mergedInto)!;
    return c;
  }

  ownerOf(key: string): string | null {
    const sep = key.indexOf(':');
    if (key.slice(0, sep) === 'userId') {
      const p = this.userOwner.get(key.slice(sep + 1));
      return p === undefined ? null : this.live(p);
    }
    const c = this.componentOf.get(key);
    return c === undefined ? null : this.live(this.liveComponent(c).profile);
  }

  componentIdOf(key: string): string | null {
    const c = this.componentOf.get(key);
    return c === undefined ? null : this.liveComponent(c).id;
  }

  /** The userIds a component was seen with. */
  private usersOf(c: ComponentState): string[] {
    const p = this.profiles.get(this.live(c.profile))!;
    return p.userId !== null ? [p.userId] : p.contestedBy;
  }

  /** Applies one message. The profile of each event is read at the end (`profileOf`). */
  apply(m: ResolutionInput): void {
    if (m.identities.length === 0) return;
    const others = m.identities.filter((i) => i.type !== 'userId');
    const userId = m.userId;
    let touched: ProfileState;
    if (userId === null) touched = this.link(others, m);
    else touched = this.tie(userId, others, m);
    this.record(touched, m);
  }

  /** The profile an applied message belongs to now (components may have moved since). */
  profileOf(m: ResolutionInput): string | null {
    if (m.identities.length === 0) return null;
    const key = identityKey(
      m.userId !== null ? { type: 'userId', value: m.userId } : m.identities[0],
    );
    return this.ownerOf(key);
  }

  /** A message without userId: its identities become one component. */
  private link(ids: Identity[], m: ResolutionInput): ProfileState {
    const known = [
      ...new Set(ids.map((i) => this.componentIdOf(identityKey(i))).filter((c) => c !== null)),
    ].map((c) => this.components.get(c)!);
    let comp: ComponentState;
    if (known.length === 0) {
      const p = this.create(m.at, null);
      comp = this.newComponent(p.id);
    } else {
      comp = this.combine(known, m);
    }
    for (const i of ids) {
      const key = identityKey(i);
      if (!this.componentOf.has(key)) {
        this.componentOf.set(key, comp.id);
        this.newIdentities.set(key, i);
      }
    }
    return this.profiles.get(this.live(comp.profile))!;
  }

  /** Merges components (and settles which profile holds the result). */
  private combine(comps: ComponentState[], m: ResolutionInput): ComponentState {
    const profiles = [...new Set(comps.map((c) => this.live(c.profile)))].map((id) =>
      this.profiles.get(id)!,
    );
    const users = [...new Set(comps.flatMap((c) => this.usersOf(c)))].sort();
    let target: ProfileState;
    if (users.length <= 1) {
      // Anonymous components and at most one person: an ordinary merge.
      target = this.mergeAll(profiles.sort(older), m);
      if (users.length === 1) target.userId = users[0];
    } else {
      // Contested: keep (or take) the components out of every person's profile.
      const own = profiles.filter((p) => p.userId === null).sort(older);
      target = own.length > 0 ? this.mergeAll(own, m) : this.create(m.at, null);
      this.contest(target, users);
      for (const p of profiles) {
        if (p.userId !== null) this.recordConflict(p, target, users, comps, m);
      }
    }
    const [survivor, ...rest] = comps.sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const c of rest) c.mergedInto = survivor.id;
    survivor.profile = target.id;
    return survivor;
  }

  /** A message with userId: each component of its other identities is tied to that user. */
  private tie(userId: string, ids: Identity[], m: ResolutionInput): ProfileState {
    const ownerId = this.userOwner.get(userId);
    let person =
      ownerId === undefined ? this.create(m.at, userId) : this.profiles.get(this.live(ownerId))!;
    if (ownerId === undefined) {
      this.userOwner.set(userId, person.id);
      this.newIdentities.set(identityKey({ type: 'userId', value: userId }), {
        type: 'userId',
        value: userId,
      });
    }
    const seen = new Set<string>();
    for (const i of ids) {
      const key = identityKey(i);
      const known = this.componentIdOf(key);
      if (known === null) {
        // A new identity seen with a user: its own component, in that user's profile.
        this.componentOf.set(key, this.newComponent(person.id).id);
        this.newIdentities.set(key, i);
        continue;
      }
      if (seen.has(known)) continue;
      seen.add(known);
      const comp = this.components.get(known)!;
      const holder = this.profiles.get(this.live(comp.profile))!;
      const users = this.usersOf(comp);
      if (users.length === 0) {
        person = this.mergeAll([person, holder].sort(older), m);
        person.userId = userId;
      } else if (users.length === 1 && users[0] !== userId) {
        const contested = this.create(m.at, null);
        this.contest(contested, [...users, userId].sort());
        comp.profile = contested.id;
        this.recordConflict(holder, contested, contested.contestedBy, [comp], m);
      } else if (users.length > 1 && !users.includes(userId)) {
        this.contest(holder, [...users, userId].sort());
        this.recordConflict(person, holder, holder.contestedBy, [comp], m);
      }
    }
    return person;
  }

  private contest(p: ProfileState, users: string[]): void {
    const all = [...new Set([...p.contestedBy, ...users])].sort();
    if (all.join('\n') !== p.contestedBy.join('\n')) {
      p.contestedBy = all;
      p.dirty = true;
    }
  }

  private recordConflict(
    from: ProfileState,
    into: ProfileState,
    userIds: string[],
    comps: ComponentState[],
    m: ResolutionInput,
  ): void {
    const ids = new Set(comps.map((c) => c.id));
    this.conflicts.push({
      from: from.id,
      into: into.id,
      eventId: m.eventId,
      messageId: m.messageId,
      at: m.at,
      userIds: [...userIds],
      identities: m.identities.map(identityKey).filter((k) => {
        const c = this.componentIdOf(k);
        return c !== null && ids.has(c);
      }),
    });
  }

  private newComponent(profileId: string): ComponentState {
    const c: ComponentState = {
      id: this.createId(),
      profile: profileId,
      loadedProfile: null,
      mergedInto: null,
    };
    this.components.set(c.id, c);
    return c;
  }

  private create(at: number, userId: string | null): ProfileState {
    const p: ProfileState = {
      id: this.createId(),
      userId,
      contestedBy: [],
      createdAt: this.now,
      traits: { values: {}, times: {} },
      touches: { first: null, last: null },
      firstSeenAt: at,
      lastSeenAt: at,
      mergedInto: null,
      isNew: true,
      dirty: true,
      seenDirty: false,
    };
    this.profiles.set(p.id, p);
    return p;
  }

  /** Merges profiles (oldest first in `group`) into the first. */
  private mergeAll(group: ProfileState[], m: ResolutionInput): ProfileState {
    const [survivor, ...others] = group;
    for (const loser of others) {
      mergeTraits(survivor.traits, loser.traits);
      applyTouch(survivor.touches, loser.touches.first);
      applyTouch(survivor.touches, loser.touches.last);
      survivor.firstSeenAt = minOf(survivor.firstSeenAt, loser.firstSeenAt);
      survivor.lastSeenAt = maxOf(survivor.lastSeenAt, loser.lastSeenAt);
      survivor.userId = survivor.userId ?? loser.userId;
      this.contest(survivor, loser.contestedBy);
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
      p.seenDirty = true;
    }
    if (p.lastSeenAt === null || m.at > p.lastSeenAt) {
      p.lastSeenAt = m.at;
      p.seenDirty = true;
    }
  }
}

const minOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);
const maxOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);
