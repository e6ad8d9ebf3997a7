import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/configuration';
import { parseJsonColumn } from '../../ingestion/event-view';
import {
  type Attribution,
  IDENTITY_TYPES,
  type IdentityType,
  type ProfileView,
} from '../profile-view';
import { isIdentityType, normalizeIdentity } from '../resolution/identities';
import { GetProfileQuery } from './get-profile.query';

interface Row {
  id: string;
  merged_into: string | null;
  contested_by: unknown;
  traits: unknown;
  first_touch: unknown;
  last_touch: unknown;
  first_seen_at: Date | null;
  last_seen_at: Date | null;
  created_at: Date;
}

/** Merges keep `merged_into` one hop deep; a few more hops tolerate a merge committed mid-read. */
const MAX_HOPS = 4;

@QueryHandler(GetProfileQuery)
export class GetProfileHandler implements IQueryHandler<GetProfileQuery> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ by }: GetProfileQuery): Promise<ProfileView | null> {
    let id: string | null;
    if ('id' in by) id = by.id;
    else {
      const { type, value } = by.identity;
      if (!isIdentityType(type)) return null;
      const normalized = normalizeIdentity(type, value, this.config.defaultPhoneRegion);
      if (normalized === null) return null;
      const rows: Array<{ profile_id: string }> = await this.db.query(
        'SELECT profile_id FROM identities WHERE type = ? AND value = ?',
        [type, normalized],
      );
      id = rows[0]?.profile_id ?? null;
    }
    for (let hop = 0; id && hop < MAX_HOPS; hop++) {
      const [row]: Row[] = await this.db.query(
        `SELECT id, merged_into, contested_by, traits, first_touch, last_touch, first_seen_at, last_seen_at, created_at
           FROM profiles WHERE id = ?`,
        [id],
      );
      if (!row) return null;
      if (row.merged_into) {
        id = row.merged_into;
        continue;
      }
      return this.view(row);
    }
    return null;
  }

  private async view(row: Row): Promise<ProfileView> {
    const identities: Array<{ type: IdentityType; value: string }> = await this.db.query(
      'SELECT type, value FROM identities WHERE profile_id = ?',
      [row.id],
    );
    const rank = (t: IdentityType) => IDENTITY_TYPES.indexOf(t);
    identities.sort(
      (a, b) => rank(a.type) - rank(b.type) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
    );
    const seen = (d: Date | null) => (d ?? row.created_at).toISOString();
    const contestedBy = parseJsonColumn<string[] | null>(row.contested_by, null);
    return {
      id: row.id,
      identities: identities.map(({ type, value }) => ({ type, value })),
      traits: parseJsonColumn(row.traits, {}),
      accounts: [],
      attribution: {
        first: parseJsonColumn<Attribution | null>(row.first_touch, null),
        last: parseJsonColumn<Attribution | null>(row.last_touch, null),
      },
      firstSeenAt: seen(row.first_seen_at),
      lastSeenAt: seen(row.last_seen_at),
      ...(contestedBy && contestedBy.length > 0 ? { contestedBy } : {}),
    };
  }
}
