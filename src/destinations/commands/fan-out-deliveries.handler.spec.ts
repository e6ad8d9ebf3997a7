import type { Queue } from 'bull';
import { destinationConfig, eventView } from '../../../test/support/fixtures';
import type { EventView } from '../../ingestion/message/canonical-message';
import type { DestinationRegistry } from '../destination-registry';
import type { DestinationConfig } from '../destination-types';
import type { DeliveryJobData } from '../delivery/delivery.constants';
import { FanOutDeliveriesCommand } from './fan-out-deliveries.command';
import { FanOutDeliveriesHandler } from './fan-out-deliveries.handler';

const TS = '2026-11-23T10:00:00.000Z';
const ev = (id: string, over: Partial<EventView> = {}) =>
  eventView(TS, {
    id,
    sourceId: 's1',
    messageId: `m-${id}`,
    userId: 'u',
    originalTimestamp: null,
    ...over,
  });
const dest = (id: string, type: DestinationConfig['type'], over: Partial<DestinationConfig> = {}) =>
  destinationConfig({
    id,
    sourceId: 's1',
    type,
    name: id,
    settings: { conversionActionId: '1' },
    ...over,
  });

describe('FanOutDeliveriesHandler', () => {
  const added: Array<Array<{ data: DeliveryJobData; opts: { jobId?: string } }>> = [];
  const queue = { addBulk: jest.fn(async (jobs: (typeof added)[number]) => void added.push(jobs)) };
  const registry = {
    enabledFor: jest.fn(async (sourceId: string) =>
      sourceId === 's1'
        ? [
            dest('hook', 'webhook'),
            dest('ads', 'google_ads'),
            dest('meta', 'meta_capi', { filter: { excludeEvents: ['Order Completed'] } }),
          ]
        : [],
    ),
  };
  const handler = new FanOutDeliveriesHandler(
    registry as unknown as DestinationRegistry,
    queue as unknown as Queue<DeliveryJobData>,
  );

  beforeEach(() => (added.length = 0));

  it('matches events to destinations by type, filter and mapping, with deterministic job ids', async () => {
    const events = [
      ev('e1', { profileId: 'p1' }),
      ev('e2', { type: 'identify', event: null }),
      ev('e3', { bot: true }),
      ev('e4', { event: 'Product Viewed' }),
      ev('e5', { sourceId: 's2' }),
    ];
    await handler.execute(new FanOutDeliveriesCommand(events));
    await handler.execute(new FanOutDeliveriesCommand(events));
    const [first, second] = added;
    const summary = first.map((j) => [j.data.destinationId, j.data.eventIds]);
    expect(summary).toEqual([
      ['hook', ['e1', 'e2', 'e4']],
      ['ads', ['e1']],
      ['meta', ['e4']],
    ]);
    expect(first[0].data.profileIds).toEqual({ e1: 'p1' });
    expect(first[1].opts.jobId).toBe('e1.ads');
    expect(second.map((j) => j.opts.jobId)).toEqual(first.map((j) => j.opts.jobId));
    expect(
      first.every(
        (j) => j.data.attempt === 1 && j.data.runId === null && j.data.rootId === j.opts.jobId,
      ),
    ).toBe(true);
  });

  it('enqueues nothing when no destination matches', async () => {
    await handler.execute(new FanOutDeliveriesCommand([ev('x', { sourceId: 's2' })]));
    expect(added).toEqual([]);
  });
});
