import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import type { EventView } from '../../ingestion/message/canonical-message';
import { eventView } from '../../../test/support/fixtures';
import { AccountStore } from '../account-store';
import { LinkAccountsCommand } from './link-accounts.command';
import { LinkAccountsHandler } from './link-accounts.handler';

let seq = 0;
function event(over: Partial<EventView>): EventView {
  seq++;
  return eventView('2024-01-01T00:00:00.000Z', {
    id: `e${seq}`,
    sourceId: 's',
    messageId: `m${seq}`,
    userId: null,
    anonymousId: 'a',
    event: 'E',
    originalTimestamp: null,
    ...over,
  });
}

describe('LinkAccountsHandler', () => {
  let handler: LinkAccountsHandler;
  const store = {
    resolve: jest.fn(),
    mergeTraits: jest.fn(),
    link: jest.fn(),
    latestAccountOf: jest.fn(),
  };
  const queries = { execute: jest.fn() };
  const commands = { execute: jest.fn() };

  beforeEach(async () => {
    jest.resetAllMocks();
    store.resolve.mockImplementation(
      async (key: { domain: string | null; accountId: string | null }) => ({
        id: `acct:${key.domain ?? key.accountId}`,
        domain: key.domain,
        accountId: key.accountId,
      }),
    );
    store.latestAccountOf.mockResolvedValue(new Map());
    const moduleRef = await Test.createTestingModule({
      providers: [
        LinkAccountsHandler,
        { provide: AccountStore, useValue: store },
        { provide: QueryBus, useValue: queries },
        { provide: CommandBus, useValue: commands },
      ],
    }).compile();
    handler = moduleRef.get(LinkAccountsHandler);
  });

  it('files a group call under its website domain, keeps the groupId as a group and links the profile', async () => {
    const e = event({
      type: 'group',
      groupId: 'org-1',
      profileId: 'p1',
      traits: { name: 'Globex', website: 'https://www.globex.com/about', group_id: 'x' },
      timestamp: '2024-05-01T00:00:00.000Z',
    });
    await handler.execute(new LinkAccountsCommand([e]));
    expect(store.resolve).toHaveBeenCalledWith({ domain: 'globex.com', accountId: 'org-1' });
    const at = new Date('2024-05-01T00:00:00.000Z');
    const traits = { name: 'Globex', website: 'https://www.globex.com/about' };
    expect(store.mergeTraits).toHaveBeenCalledWith(
      'acct:globex.com',
      [{ traits, at }],
      [{ groupId: 'org-1', traits, at }],
    );
    expect(store.link).toHaveBeenCalledWith(['p1'], 'acct:globex.com');
    expect(e.accountId).toBe('acct:globex.com');
  });

  it("falls back to the profile's email domain for a group call without one", async () => {
    queries.execute.mockResolvedValue({
      identities: [{ type: 'email', value: 'kim@initech.com' }],
    });
    const e = event({
      type: 'group',
      groupId: 'org-2',
      profileId: 'p2',
      traits: { name: 'Initech' },
    });
    await handler.execute(new LinkAccountsCommand([e]));
    expect(store.resolve).toHaveBeenCalledWith({ domain: 'initech.com', accountId: 'org-2' });
  });

  it('never takes a free-mail domain for a company', async () => {
    const e = event({
      type: 'group',
      groupId: 'org-3',
      traits: { domain: 'gmail.com' },
      context: { traits: { email: 'x@gmail.com' } },
    });
    await handler.execute(new LinkAccountsCommand([e]));
    expect(store.resolve).toHaveBeenCalledTimes(1);
    expect(store.resolve).toHaveBeenCalledWith({ domain: null, accountId: 'org-3' });
  });

  it('makes profiles with a company email join its account, one resolve per domain', async () => {
    const events = [
      event({ type: 'identify', profileId: 'p1', traits: { email: 'a@acme.com' } }),
      event({ profileId: 'p2', context: { traits: { email: 'b@acme.com' } } }),
      event({ profileId: 'p3', context: { traits: { email: 'c@yahoo.com' } } }),
    ];
    await handler.execute(new LinkAccountsCommand(events));
    expect(store.resolve).toHaveBeenCalledTimes(1);
    expect(store.resolve).toHaveBeenCalledWith({ domain: 'acme.com', accountId: null });
    expect(store.link).toHaveBeenCalledWith(['p1', 'p2'], 'acct:acme.com');
    expect(events.map((e) => e.accountId)).toEqual(['acct:acme.com', 'acct:acme.com', null]);
    // ...and recorded on the stored events through ingestion's command.
    expect(commands.execute).toHaveBeenCalledTimes(1);
    expect(commands.execute.mock.calls[0][0].assignments).toEqual([
      { eventId: events[0].id, accountId: 'acct:acme.com' },
      { eventId: events[1].id, accountId: 'acct:acme.com' },
    ]);
  });

  it("gives other events of a linked profile that profile's latest account", async () => {
    store.latestAccountOf.mockResolvedValue(new Map([['p9', 'acct-9']]));
    const events = [
      event({ profileId: 'p9' }),
      event({ profileId: 'p8' }),
      event({ profileId: null }),
    ];
    await handler.execute(new LinkAccountsCommand(events));
    expect(store.latestAccountOf).toHaveBeenCalledWith(['p9', 'p8']);
    expect(events.map((e) => e.accountId)).toEqual(['acct-9', null, null]);
  });

  it('leaves account-level events (already filed in their request) alone', async () => {
    const e = event({
      type: 'group',
      groupId: 'acme.com',
      accountId: 'acct-1',
      traits: { plan: 'pro' },
    });
    await handler.execute(new LinkAccountsCommand([e]));
    expect(store.resolve).not.toHaveBeenCalled();
    expect(store.mergeTraits).not.toHaveBeenCalled();
    expect(e.accountId).toBe('acct-1');
    expect(commands.execute).not.toHaveBeenCalled();
  });
});
