import { createHmac } from 'node:crypto';
import { destinationConfig, eventView } from '../../../test/support/fixtures';
import { webhookAdapter } from './webhook.adapter';

const TS = '2026-11-23T10:15:00.000Z';
const view = eventView(TS, {
  type: 'identify',
  event: null,
  traits: { email: 'a@b.example' },
  profileId: 'p1',
});
const dest = destinationConfig({
  type: 'webhook',
  name: 'hook',
  settings: { url: 'https://hooks.example/in', secret: 'whsec' },
  secrets: ['whsec'],
});

describe('webhookAdapter', () => {
  it('posts the event view, signed with HMAC-SHA256 of the raw body, one per request', () => {
    const { requests } = webhookAdapter.build(
      [
        { event: view, profile: null },
        { event: { ...view, id: 'ev-2' }, profile: null },
      ],
      dest,
      new Date(),
    );
    expect(requests).toHaveLength(2);
    const [r] = requests;
    expect(r.url).toBe('https://hooks.example/in');
    expect(JSON.parse(r.body)).toEqual(view);
    expect(r.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Idempotency-Key': 'ev-1',
      'X-Signature': `sha256=${createHmac('sha256', 'whsec').update(r.body).digest('hex')}`,
    });
    expect(r.headers['User-Agent']).toMatch(/^tracking-service\/\d+\.\d+\.\d+/);
  });

  it('classifies 2xx, 429/5xx and other 4xx', () => {
    const req = webhookAdapter.build([{ event: view, profile: null }], dest, new Date())
      .requests[0];
    const c = (status: number) =>
      webhookAdapter.classify({ status, headers: {}, body: '' }, req, dest);
    expect(c(204)).toEqual({ status: 'succeeded' });
    expect(c(429)).toMatchObject({ status: 'retry' });
    expect(c(502)).toMatchObject({ status: 'retry' });
    expect(c(410)).toMatchObject({ status: 'dead' });
  });
});
