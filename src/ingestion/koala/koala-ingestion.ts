import { Injectable } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { Request } from 'express';
import { UpsertAccountCommand } from '../../accounts/commands/upsert-account.command';
import { GetAccountQuery } from '../../accounts/queries/get-account.query';
import type { AccountRef } from '../../accounts/account-view';
import type { SourceView } from '../../sources/source-view';
import {
  IngestMessagesCommand,
  IngestResult,
  RejectedMessage,
} from '../commands/ingest-messages.command';
import { clientOf } from '../http/request-body';
import type { JsonObject } from '../message/canonical-message';
import {
  accountEntries,
  KoalaAccountKey,
  KoalaEntry,
  KoalaList,
  personEntries,
  readAccountKey,
  readPerson,
} from './koala-batch';

/** A rejection as the Koala routes report it: the list and the position in it. */
export interface KoalaRejection extends RejectedMessage {
  list: KoalaList;
}

export interface KoalaAnswer {
  success: true;
  accepted: number;
  duplicates: number;
  rejected: KoalaRejection[];
}

export interface KoalaAccountAnswer extends KoalaAnswer {
  /** The account the request was filed under; null for a request flagged as a bot (nothing created). */
  account: AccountRef | null;
}

/**
 * Koala's two batch bodies, shared by the write-key and the public-key routes. Each entry becomes a
 * Segment-form message of the one IngestMessagesCommand every route uses.
 */
@Injectable()
export class KoalaIngestion {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  async personBatch(
    source: SourceView,
    body: JsonObject,
    req: Request,
    receivedAt: Date,
  ): Promise<KoalaAnswer> {
    const person = readPerson(body);
    const entries = personEntries(body, person);
    return this.ingest(source, entries, req, receivedAt, {
      identifiedBy: person.profileId ? undefined : 'email',
    });
  }

  async accountBatch(
    source: SourceView,
    body: JsonObject,
    req: Request,
    receivedAt: Date,
  ): Promise<KoalaAccountAnswer> {
    const key = readAccountKey(body);
    const entries = accountEntries(body, key, receivedAt);
    const client = clientOf(req);
    // Koala's rule: without a User-Agent the request is a bot's and is not processed: its events are
    // kept (flagged) but no account is created or changed by it.
    const account = client.userAgent ? await this.upsert(key, entries) : await this.existing(key);
    const answer = await this.ingest(source, entries, req, receivedAt, {
      identifiedBy: 'account',
      accountId: account?.id ?? null,
      enrichment: { account: { domain: key.domain, accountId: key.accountId } },
    });
    return { ...answer, account };
  }

  private upsert(key: KoalaAccountKey, entries: KoalaEntry[]): Promise<AccountRef> {
    return this.commands.execute(
      new UpsertAccountCommand({
        domain: key.domain,
        accountId: key.accountId,
        traits: entries.flatMap((e) => (e.accountTraits ? [e.accountTraits] : [])),
      }),
    );
  }

  private async existing(key: KoalaAccountKey): Promise<AccountRef | null> {
    const view =
      (key.accountId &&
        (await this.queries.execute(new GetAccountQuery({ accountId: key.accountId })))) ||
      (key.domain && (await this.queries.execute(new GetAccountQuery({ domain: key.domain })))) ||
      null;
    return view ? { id: view.id, domain: view.domain, accountId: view.accountId } : null;
  }

  private async ingest(
    source: SourceView,
    entries: KoalaEntry[],
    req: Request,
    receivedAt: Date,
    extra: {
      identifiedBy?: 'email' | 'account';
      accountId?: string | null;
      enrichment?: JsonObject;
    },
  ): Promise<KoalaAnswer> {
    if (entries.length === 0) return { success: true, accepted: 0, duplicates: 0, rejected: [] };
    const result: IngestResult = await this.commands.execute(
      new IngestMessagesCommand({
        sourceId: source.id,
        channel: 'koala',
        entries: entries.map((e) => e.entry),
        client: clientOf(req),
        receivedAt,
        ...extra,
      }),
    );
    return {
      success: true,
      accepted: result.accepted,
      duplicates: result.duplicates,
      rejected: result.rejected.map((r) => {
        const { list, index } = entries[r.index];
        const path = list === 'email' ? 'email' : `${list}[${index}]`;
        return {
          list,
          index,
          messageId: r.messageId,
          errors: r.errors.map((e) => (e.startsWith(path) ? e : `${path}: ${e}`)),
        };
      }),
    };
  }
}
