import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { newId } from '../common/ids';
import type { JsonObject } from '../ingestion/message/canonical-message';
import type { AccountRef, AccountView } from './account-view';
import { mergeTraitsByTime, TimedTraits, withoutGroupKey } from './trait-merge';

/** How a caller names an account; `domain` is already normalised (see common/domain.ts). */
export interface AccountKey {
  domain: string | null;
  accountId: string | null;
}

export interface GroupTraits extends TimedTraits {
  groupId: string;
}

interface AccountRow {
  id: string;
  domain: string | null;
  account_id: string | null;
}

const DEADLOCK_RETRIES = 3;

function parseJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if (typeof value !== 'string') return value as T;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

const toRef = (r: AccountRow): AccountRef => ({
  id: r.id,
  domain: r.domain,
  accountId: r.account_id,
});

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  return e?.driverError?.code ?? e?.code;
}

/**
 * The accounts tables. Creation is race-free without locks: an INSERT IGNORE against the unique keys
 * (domain, account_id) followed by a read, so two requests naming the same new company make one row.
 * Trait merges lock only rows that already exist, by primary key, account before groups, so they
 * queue rather than deadlock.
 */
@Injectable()
export class AccountStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The account a key names, created when none does. */
  async resolve(key: AccountKey, now = new Date()): Promise<AccountRef> {
    if (!key.domain && !key.accountId)
      throw new Error('an account needs a domain or an account id');
    // Twice is enough: an ignored insert means a row holding one of the keys exists and is found.
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = await this.findRow(key);
      if (found) return this.fillIn(found, key);
      await this.db.query(
        `INSERT IGNORE INTO accounts (id, domain, account_id, traits, trait_times, created_at, updated_at)
         VALUES (?, ?, ?, '{}', '{}', ?, ?)`,
        [newId(now.getTime()), key.domain, key.accountId, now, now],
      );
    }
    throw new Error(`account for ${JSON.stringify(key)} neither found nor created`);
  }

  /**
   * An existing account only. An external id is looked up first (it is the caller's explicit choice),
   * then the domain, then the external id as a tenant's group id (a Segment groupId of the second
   * workspace of a company whose account_id is the first one's).
   */
  async find(key: AccountKey): Promise<AccountRef | null> {
    const row = await this.findRow(key);
    return row ? toRef(row) : null;
  }

  private async findRow(key: AccountKey): Promise<AccountRow | null> {
    const where: string[] = [];
    const params: string[] = [];
    if (key.accountId) {
      where.push('account_id = ?');
      params.push(key.accountId);
    }
    if (key.domain) {
      where.push('domain = ?');
      params.push(key.domain);
    }
    if (where.length === 0) return null;
    const rows: AccountRow[] = await this.db.query(
      `SELECT id, domain, account_id FROM accounts WHERE ${where.join(' OR ')}`,
      params,
    );
    const byExternal = key.accountId ? rows.find((r) => r.account_id === key.accountId) : undefined;
    const byDomain = key.domain ? rows.find((r) => r.domain === key.domain) : undefined;
    if (byExternal ?? byDomain) return (byExternal ?? byDomain) as AccountRow;
    if (!key.accountId) return null;
    const viaGroup: AccountRow[] = await this.db.query(
      `SELECT a.id, a.domain, a.account_id FROM account_groups g JOIN accounts a ON a.id = g.account_id
       WHERE g.group_id = ? ORDER BY g.created_at, a.id LIMIT 1`,
      [key.accountId],
    );
    return viaGroup[0] ?? null;
  }

  /**
   * Completes an account with the key part it lacks (an account first seen by domain later gets its
   * external id, and the reverse). When another account already holds that value, the two stay apart:
   * accounts are never merged implicitly.
   */
  private async fillIn(row: AccountRow, key: AccountKey): Promise<AccountRef> {
    let changed = false;
    for (const [column, value] of [
      ['domain', row.domain ? null : key.domain],
      ['account_id', row.account_id ? null : key.accountId],
    ] as const) {
      if (!value) continue;
      try {
        const r: { affectedRows: number } = await this.db.query(
          `UPDATE accounts SET ${column} = ?, updated_at = ? WHERE id = ? AND ${column} IS NULL`,
          [value, new Date(), row.id],
        );
        changed ||= r.affectedRows > 0;
      } catch (err) {
        if (errorCode(err) !== 'ER_DUP_ENTRY') throw err;
      }
    }
    if (!changed) return toRef(row);
    const [fresh]: AccountRow[] = await this.db.query(
      'SELECT id, domain, account_id FROM accounts WHERE id = ?',
      [row.id],
    );
    return toRef(fresh);
  }

  /** Merges traits onto the account and, for updates naming a group, onto that group too. */
  async mergeTraits(
    accountId: string,
    accountTraits: TimedTraits[],
    groupTraits: GroupTraits[],
    now = new Date(),
  ): Promise<void> {
    const groups = new Map<string, TimedTraits[]>();
    for (const g of groupTraits) groups.set(g.groupId, [...(groups.get(g.groupId) ?? []), g]);
    const groupIds = [...groups.keys()].sort();
    if (accountTraits.length === 0 && groupIds.length === 0) return;
    if (groupIds.length > 0) {
      await this.db.query(
        `INSERT IGNORE INTO account_groups (account_id, group_id, traits, trait_times, created_at, updated_at)
         VALUES ${groupIds.map(() => `(?, ?, '{}', '{}', ?, ?)`).join(',')}`,
        groupIds.flatMap((g) => [accountId, g, now, now]),
      );
    }
    await this.withDeadlockRetry(() =>
      this.db.transaction(async (m) => {
        if (accountTraits.length > 0) {
          await this.mergeRow(m, 'accounts', 'id = ?', [accountId], accountTraits, now);
        }
        for (const g of groupIds) {
          const updates = groups.get(g) ?? [];
          await this.mergeRow(
            m,
            'account_groups',
            'account_id = ? AND group_id = ?',
            [accountId, g],
            updates,
            now,
          );
        }
      }),
    );
  }

  private async mergeRow(
    m: EntityManager,
    table: 'accounts' | 'account_groups',
    where: string,
    params: string[],
    updates: TimedTraits[],
    now: Date,
  ): Promise<void> {
    const [row]: Array<{ traits: unknown; trait_times: unknown }> = await m.query(
      `SELECT traits, trait_times FROM ${table} WHERE ${where} FOR UPDATE`,
      params,
    );
    if (!row) return;
    const merged = mergeTraitsByTime(
      parseJson<JsonObject>(row.traits, {}),
      parseJson<Record<string, string>>(row.trait_times, {}),
      updates,
    );
    if (!merged.changed) return;
    await m.query(
      `UPDATE ${table} SET traits = ?, trait_times = ?, updated_at = ? WHERE ${where}`,
      [JSON.stringify(merged.traits), JSON.stringify(merged.traitTimes), now, ...params],
    );
  }

  private async withDeadlockRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (attempt >= DEADLOCK_RETRIES || errorCode(err) !== 'ER_LOCK_DEADLOCK') throw err;
      }
    }
  }

  async link(profileIds: string[], accountId: string, now = new Date()): Promise<void> {
    const ids = [...new Set(profileIds)];
    if (ids.length === 0) return;
    await this.db.query(
      `INSERT IGNORE INTO profile_accounts (profile_id, account_id, created_at)
       VALUES ${ids.map(() => '(?, ?, ?)').join(',')}`,
      ids.flatMap((p) => [p, accountId, now]),
    );
  }

  /**
   * Resolves the account and merges traits onto it; traits carrying a `group_id` (Koala's tenant key)
   * are also merged onto that group, and `group_id` itself is never a trait of either.
   */
  async upsert(key: AccountKey, updates: TimedTraits[], now = new Date()): Promise<AccountRef> {
    const account = await this.resolve(key, now);
    const groups: GroupTraits[] = [];
    for (const u of updates) {
      const g = u.traits.group_id;
      const groupId = typeof g === 'number' ? String(g) : typeof g === 'string' ? g.trim() : '';
      if (groupId)
        groups.push({
          groupId: groupId.slice(0, 255),
          traits: withoutGroupKey(u.traits),
          at: u.at,
        });
    }
    const accountTraits = updates.map((u) => ({ traits: withoutGroupKey(u.traits), at: u.at }));
    await this.mergeTraits(account.id, accountTraits, groups, now);
    return account;
  }

  /**
   * A merge made `from` part of `into`: their links become `into`'s, each keeping its first link
   * time. Idempotent, so a repeated merge event changes nothing.
   */
  async moveLinks(from: string[], into: string): Promise<void> {
    const ids = [...new Set(from)].filter((id) => id !== into);
    if (ids.length === 0) return;
    const list = ids.map(() => '?').join(',');
    await this.withDeadlockRetry(() =>
      this.db.transaction(async (m) => {
        await m.query(
          `INSERT IGNORE INTO profile_accounts (profile_id, account_id, created_at)
           SELECT ?, account_id, MIN(created_at) FROM profile_accounts
           WHERE profile_id IN (${list}) GROUP BY account_id`,
          [into, ...ids],
        );
        await m.query(`DELETE FROM profile_accounts WHERE profile_id IN (${list})`, ids);
      }),
    );
  }

  /** Each profile's most recently joined account. */
  async latestAccountOf(profileIds: string[]): Promise<Map<string, string>> {
    const ids = [...new Set(profileIds)];
    const out = new Map<string, string>();
    if (ids.length === 0) return out;
    const rows: Array<{ profile_id: string; account_id: string }> = await this.db.query(
      `SELECT profile_id, account_id FROM profile_accounts WHERE profile_id IN (${ids
        .map(() => '?')
        .join(',')}) ORDER BY created_at, account_id`,
      ids,
    );
    for (const r of rows) out.set(r.profile_id, r.account_id);
    return out;
  }

  async accountsOf(profileId: string): Promise<AccountRef[]> {
    const rows: AccountRow[] = await this.db.query(
      `SELECT a.id, a.domain, a.account_id FROM profile_accounts p JOIN accounts a ON a.id = p.account_id
       WHERE p.profile_id = ? ORDER BY p.created_at, a.id`,
      [profileId],
    );
    return rows.map(toRef);
  }

  async view(
    by: { id: string } | { domain: string } | { accountId: string },
  ): Promise<AccountView | null> {
    const [column, value] =
      'id' in by
        ? ['id', by.id]
        : 'domain' in by
          ? ['domain', by.domain]
          : ['account_id', by.accountId];
    const [row]: Array<AccountRow & { traits: unknown }> = await this.db.query(
      `SELECT id, domain, account_id, traits FROM accounts WHERE ${column} = ?`,
      [value],
    );
    if (!row) return null;
    const [groups, [count]] = await Promise.all([
      this.db.query(
        'SELECT group_id, traits FROM account_groups WHERE account_id = ? ORDER BY created_at, group_id',
        [row.id],
      ) as Promise<Array<{ group_id: string; traits: unknown }>>,
      this.db.query('SELECT COUNT(*) AS n FROM profile_accounts WHERE account_id = ?', [
        row.id,
      ]) as Promise<Array<{ n: string | number }>>,
    ]);
    return {
      ...toRef(row),
      traits: parseJson<JsonObject>(row.traits, {}),
      groups: groups.map((g) => ({
        groupId: g.group_id,
        traits: parseJson<JsonObject>(g.traits, {}),
      })),
      profileCount: Number(count.n),
    };
  }
}
