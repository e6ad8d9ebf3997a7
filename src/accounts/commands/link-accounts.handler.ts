import { CommandBus, CommandHandler, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { companyDomainOfEmail, isCompanyDomain, normalizeDomain } from '../../common/domain';
import { AssignEventAccountsCommand } from '../../ingestion/commands/assign-event-accounts.command';
import { GetProfileQuery } from '../../identity/queries/get-profile.query';
import type { EventView, JsonObject } from '../../ingestion/message/canonical-message';
import { AccountStore } from '../account-store';
import type { AccountRef } from '../account-view';
import { withoutGroupKey } from '../trait-merge';
import { LinkAccountsCommand } from './link-accounts.command';

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The person's email an event carries: identify traits, else `context.traits` (Koala, analytics.js). */
function emailOf(e: EventView): string | null {
  const own = e.type === 'identify' ? e.traits.email : undefined;
  const ctx = isObject(e.context.traits) ? e.context.traits.email : undefined;
  const email = typeof own === 'string' && own ? own : ctx;
  return typeof email === 'string' && email ? email : null;
}

function companyDomainOf(value: unknown): string | null {
  const domain = normalizeDomain(value);
  return domain && isCompanyDomain(domain) ? domain : null;
}

/**
 * The accounts found are recorded on the stored events too (through ingestion, which owns them).
 * Idempotent by construction: accounts are found-or-created on unique keys, traits merge by event time
 * and links are INSERT IGNOREs, so a re-run job changes nothing.
 */
@CommandHandler(LinkAccountsCommand)
export class LinkAccountsHandler implements ICommandHandler<LinkAccountsCommand> {
  constructor(
    private readonly store: AccountStore,
    private readonly queries: QueryBus,
    private readonly commands: CommandBus,
  ) {}

  async execute({ events }: LinkAccountsCommand): Promise<void> {
    // Events stored with an account (Koala /accounts/batch) were settled in their request.
    const todo = events.filter((e) => !e.accountId);
    const byDomain = new Map<string, Promise<AccountRef>>();
    const accountOfDomain = (domain: string) => {
      let account = byDomain.get(domain);
      if (!account) {
        account = this.store.resolve({ domain, accountId: null });
        byDomain.set(domain, account);
      }
      return account;
    };

    // Links are collected and written once per account: a job holds up to hundreds of events.
    const links = new Map<string, string[]>();
    const link = (profileId: string | null, accountId: string) => {
      if (!profileId) return;
      const list = links.get(accountId);
      if (list) list.push(profileId);
      else links.set(accountId, [profileId]);
    };
    for (const e of todo) {
      if (e.type === 'group' && e.groupId) {
        const account = await this.groupCall(e);
        link(e.profileId, account.id);
        e.accountId = account.id;
      }
      // Whatever else the event is, a company email makes its person (and the event) the company's.
      const domain = companyDomainOfEmail(emailOf(e));
      if (!domain) continue;
      const account = await accountOfDomain(domain);
      link(e.profileId, account.id);
      e.accountId ??= account.id;
    }
    for (const [accountId, profileIds] of links) await this.store.link(profileIds, accountId);

    const rest = todo.filter((e) => !e.accountId && e.profileId);
    if (rest.length > 0) {
      const latest = await this.store.latestAccountOf(rest.map((e) => e.profileId as string));
      for (const e of rest) e.accountId = latest.get(e.profileId as string) ?? null;
    }

    const assignments = todo.flatMap((e) =>
      e.accountId ? [{ eventId: e.id, accountId: e.accountId }] : [],
    );
    if (assignments.length > 0)
      await this.commands.execute(new AssignEventAccountsCommand(assignments));
  }

  /**
   * A Segment group call. `groupId` is the customer's id for the group, which may be one of several
   * tenants of the same company: it is always kept as a group (with its traits), and becomes the
   * account's external id only when the account has none. The company is found by the domain in the
   * traits, else the website, else the user's email domain; without any, by the groupId alone.
   */
  private async groupCall(e: EventView): Promise<AccountRef> {
    const groupId = e.groupId as string;
    const domain =
      companyDomainOf(e.traits.domain) ??
      companyDomainOf(e.traits.website) ??
      companyDomainOfEmail(emailOf(e) ?? (await this.profileEmail(e.profileId)));
    const account = await this.store.resolve({ domain, accountId: groupId });
    const at = new Date(e.timestamp);
    const traits = withoutGroupKey(e.traits);
    await this.store.mergeTraits(account.id, [{ traits, at }], [{ groupId, traits, at }]);
    return account;
  }

  private async profileEmail(profileId: string | null): Promise<string | null> {
    if (!profileId) return null;
    const profile = await this.queries.execute(new GetProfileQuery({ id: profileId }));
    return profile?.identities.find((i) => i.type === 'email')?.value ?? null;
  }
}
