import { Analytics } from '@segment/analytics-node';
import { eventually, startTestApp, TestApp } from './support/test-app';

/** The official Segment Node client, pointed at us, must just work. */
describe('@segment/analytics-node against the service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('delivers identify, track, page, group and alias as Segment would store them', async () => {
    const source = await t.createSource({ name: 'Backend' });
    const analytics = new Analytics({
      writeKey: source.writeKey,
      host: t.url,
      flushAt: 10,
      maxRetries: 1,
    });
    const errors: unknown[] = [];
    analytics.on('error', (e) => errors.push(e));

    analytics.identify({ userId: 'seg-1', traits: { email: 'Ada@Example.com', plan: 'pro' } });
    analytics.track({
      userId: 'seg-1',
      event: 'Order Completed',
      properties: { order_id: 'o-1', revenue: 42.5, currency: 'USD' },
      messageId: 'seg-track-1',
      timestamp: new Date('2026-11-20T10:00:00Z'),
    });
    analytics.page({
      anonymousId: 'anon-seg',
      name: 'Pricing',
      properties: { url: 'https://x.test/pricing' },
    });
    analytics.group({ userId: 'seg-1', groupId: 'acme', traits: { name: 'Acme' } });
    analytics.alias({ userId: 'seg-1', previousId: 'anon-seg' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);

    const items = await eventually(async () => {
      const res = await t.admin.get(`/admin/events?sourceId=${source.id}`);
      return res.body.items.length === 5 ? res.body.items : null;
    });
    const byType = Object.fromEntries(items.map((e: { type: string }) => [e.type, e]));
    expect(Object.keys(byType).sort()).toEqual(['alias', 'group', 'identify', 'page', 'track']);
    expect(byType.track).toMatchObject({
      messageId: 'seg-track-1',
      userId: 'seg-1',
      event: 'Order Completed',
      properties: { order_id: 'o-1', revenue: 42.5, currency: 'USD' },
      originalTimestamp: '2026-11-20T10:00:00.000Z',
      context: { library: { name: '@segment/analytics-node' } },
    });
    expect(byType.identify.traits).toEqual({ email: 'Ada@Example.com', plan: 'pro' });
    expect(byType.page).toMatchObject({ anonymousId: 'anon-seg', name: 'Pricing' });
    expect(byType.group).toMatchObject({ groupId: 'acme', traits: { name: 'Acme' } });
    expect(byType.alias).toMatchObject({ userId: 'seg-1', previousId: 'anon-seg' });
    // The client stamps sentAt on the batch; the skew correction keeps the event time close to it.
    expect(byType.track.sentAt).not.toBeNull();
  });
});
