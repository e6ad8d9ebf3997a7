import { EventBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import type { EventView } from '../../ingestion/message/canonical-message';
import { ProfilesMerged } from '../events/profiles-merged.event';
import { IdentityResolver, type ResolutionOutcome } from '../resolution/identity-resolver';
import { ResolveIdentitiesCommand } from './resolve-identities.command';
import { ResolveIdentitiesHandler } from './resolve-identities.handler';

const view = (id: string): EventView =>
  ({
    id,
    messageId: `m-${id}`,
    type: 'track',
    userId: null,
    anonymousId: id,
    profileId: null,
  }) as EventView;

describe('ResolveIdentitiesHandler', () => {
  async function setup(outcome: Omit<ResolutionOutcome, 'attempts'>) {
    const resolver = {
      inputsOf: jest.fn(() => []),
      resolve: jest.fn(async () => ({ ...outcome, attempts: 1 })),
    };
    const eventBus = { publish: jest.fn() };
    const moduleRef = await Test.createTestingModule({
      providers: [
        ResolveIdentitiesHandler,
        { provide: IdentityResolver, useValue: resolver },
        { provide: EventBus, useValue: eventBus },
      ],
    }).compile();
    return { handler: moduleRef.get(ResolveIdentitiesHandler), resolver, eventBus };
  }

  it('sets profileId on the views so later pipeline steps see it', async () => {
    const { handler } = await setup({
      profiles: new Map([
        ['e1', 'p1'],
        ['e2', null],
      ]),
      merges: [],
      conflicts: [],
    });
    const events = [view('e1'), view('e2')];
    await handler.execute(new ResolveIdentitiesCommand(events));
    expect(events.map((e) => e.profileId)).toEqual(['p1', null]);
  });

  it('publishes one ProfilesMerged per surviving profile', async () => {
    const merge = (from: string, into: string, eventId: string) => ({
      from,
      into,
      eventId,
      messageId: 'm',
      at: 0,
    });
    const { handler, eventBus } = await setup({
      profiles: new Map([['e1', 'p1']]),
      merges: [merge('p2', 'p1', 'e1'), merge('p3', 'p1', 'e1'), merge('p5', 'p4', 'e1')],
      conflicts: [],
    });
    await handler.execute(new ResolveIdentitiesCommand([view('e1')]));
    expect(eventBus.publish.mock.calls.map(([e]) => e)).toEqual([
      new ProfilesMerged('p1', ['p2', 'p3'], 'e1'),
      new ProfilesMerged('p4', ['p5'], 'e1'),
    ]);
  });

  it('does nothing for an empty batch', async () => {
    const { handler, resolver } = await setup({ profiles: new Map(), merges: [], conflicts: [] });
    await handler.execute(new ResolveIdentitiesCommand([]));
    expect(resolver.resolve).not.toHaveBeenCalled();
  });
});
