import { correctSkew, mergeContext, normalizeMessage, parseIsoTime } from './normalize-message';

const receivedAt = new Date('2026-11-23T12:00:00.000Z');

describe('correctSkew', () => {
  it('shifts the event by the client clock error when sentAt and timestamp are both given', () => {
    // The client clock is 1 hour fast: it says it sent at 13:00:10 an event of 13:00:00.
    const t = correctSkew(
      receivedAt,
      new Date('2026-11-23T13:00:10.000Z'),
      new Date('2026-11-23T13:00:00.000Z'),
    );
    expect(t.toISOString()).toBe('2026-11-23T11:59:50.000Z');
  });

  it('falls back to the original timestamp, then to receivedAt', () => {
    const ts = new Date('2026-11-20T00:00:00Z');
    expect(correctSkew(receivedAt, null, ts)).toBe(ts);
    expect(correctSkew(receivedAt, new Date(), null)).toBe(receivedAt);
  });
});

describe('parseIsoTime', () => {
  it.each([
    '2026-11-23T10:00:00Z',
    '2026-11-23T10:00:00.123+02:00',
    '2026-11-23',
    '2026-11-23T10:00Z',
  ])('accepts %s', (v) => expect(parseIsoTime(v)).toBeInstanceOf(Date));
  it.each(['yesterday', '1', 12345, '2026-13-45T00:00:00Z', '0099-01-01T00:00:00Z', {}])(
    'rejects %p',
    (v) => expect(parseIsoTime(v)).toBe('invalid'),
  );
  it('treats absent as null', () => {
    expect(parseIsoTime(undefined)).toBeNull();
    expect(parseIsoTime(null)).toBeNull();
  });
});

describe('mergeContext', () => {
  it('lets the message context win and merges nested objects', () => {
    expect(
      mergeContext(
        { library: { name: 'x', version: '1' }, locale: 'en' },
        { library: { version: '2' } },
      ),
    ).toEqual({ library: { name: 'x', version: '2' }, locale: 'en' });
  });
});

describe('normalizeMessage', () => {
  it('normalises a track with skew correction and batch context', () => {
    const r = normalizeMessage({
      raw: {
        type: 'track',
        messageId: 'm-1',
        userId: 42,
        event: 'Order Completed',
        properties: { revenue: 10 },
        timestamp: '2026-11-23T13:00:00Z',
        context: { locale: 'da-DK' },
      },
      batchContext: { library: { name: 'analytics-node' }, locale: 'en-US' },
      batchSentAt: '2026-11-23T13:00:05Z',
      receivedAt,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message).toMatchObject({
      type: 'track',
      messageId: 'm-1',
      userId: '42',
      event: 'Order Completed',
      properties: { revenue: 10 },
      context: { library: { name: 'analytics-node' }, locale: 'da-DK' },
    });
    expect(r.message.timestamp.toISOString()).toBe('2026-11-23T11:59:55.000Z');
    expect(r.message.originalTimestamp?.toISOString()).toBe('2026-11-23T13:00:00.000Z');
  });

  it('generates a messageId when none is sent', () => {
    const r = normalizeMessage({ raw: { type: 'identify', anonymousId: 'a' }, receivedAt });
    expect(r.ok && r.message.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('uses the type the route implies and refuses a contradicting one', () => {
    const ok = normalizeMessage({
      raw: { userId: 'u', event: 'E' },
      impliedType: 'track',
      receivedAt,
    });
    expect(ok.ok && ok.message.type).toBe('track');
    const bad = normalizeMessage({
      raw: { type: 'page', userId: 'u', event: 'E' },
      impliedType: 'track',
      receivedAt,
    });
    expect(bad).toEqual({
      ok: false,
      messageId: null,
      errors: ['type must be "track" on this route'],
    });
  });

  it.each([
    [{ type: 'track', event: 'E' }, 'userId or anonymousId is required'],
    [{ type: 'track', userId: 'u' }, 'event is required for track'],
    [{ type: 'alias', userId: 'u' }, 'previousId is required for alias'],
    [{ type: 'group', userId: 'u' }, 'groupId is required for group'],
    [
      { type: 'nope', userId: 'u' },
      'type must be one of track, identify, page, screen, group, alias (got "nope")',
    ],
    [{ userId: 'u' }, 'type is required: one of track, identify, page, screen, group, alias'],
    [
      { type: 'identify', userId: 'u', timestamp: 'last week' },
      'timestamp is not an ISO 8601 time',
    ],
    [{ type: 'identify', userId: 'u', sentAt: 5 }, 'sentAt is not an ISO 8601 time'],
    [{ type: 'identify', userId: { id: 1 } }, 'userId must be a string'],
    [{ type: 'identify', userId: 'u', traits: [1] }, 'traits must be an object'],
    [
      { type: 'track', userId: 'u', event: 'x'.repeat(300) },
      'event must be at most 255 characters',
    ],
  ])('rejects %p with "%s"', (raw, error) => {
    const r = normalizeMessage({ raw, receivedAt });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContain(error);
  });

  it('rejects what is not an object', () => {
    expect(normalizeMessage({ raw: 'hello', receivedAt })).toEqual({
      ok: false,
      messageId: null,
      errors: ['message must be a JSON object'],
    });
  });

  it('keeps the messageId of a rejected message so the client can find it', () => {
    const r = normalizeMessage({
      raw: { type: 'track', messageId: 'abc', userId: 'u' },
      receivedAt,
    });
    expect(r).toMatchObject({ ok: false, messageId: 'abc' });
  });

  it('keeps only the fields of its type', () => {
    const r = normalizeMessage({
      raw: {
        type: 'identify',
        userId: 'u',
        event: 'ignored',
        name: 'ignored',
        traits: { plan: 'pro' },
      },
      receivedAt,
    });
    expect(r.ok && r.message).toMatchObject({ event: null, name: null, traits: { plan: 'pro' } });
  });
});
