import { BadRequestException } from '@nestjs/common';
import { normalizeMessage } from './normalize-message';
import { parsePixelHit, pixelHitToMessage } from './pixel-hit';

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof BadRequestException) return err.message;
    throw err;
  }
  throw new Error('expected a 400');
};

describe('parsePixelHit', () => {
  it('names the field that is wrong', () => {
    expect(messageOf(() => parsePixelHit({ url: '/' }))).toMatch(/^type is required/);
    expect(messageOf(() => parsePixelHit({ type: 'click', url: '/' }))).toMatch(
      /^type must be "pageview" or "event"/,
    );
    expect(messageOf(() => parsePixelHit({ type: 'pageview' }))).toBe('url is required');
    expect(messageOf(() => parsePixelHit({ type: 'pageview', url: 42 }))).toBe(
      'url must be a string',
    );
    expect(messageOf(() => parsePixelHit({ type: 'pageview', url: 'no url' }))).toMatch(
      /^url must be an absolute/,
    );
    expect(messageOf(() => parsePixelHit({ type: 'pageview', url: 'javascript:alert(1)' }))).toBe(
      'url must use http or https',
    );
    expect(messageOf(() => parsePixelHit({ type: 'event', url: '/' }))).toBe(
      'name is required for type "event"',
    );
    expect(messageOf(() => parsePixelHit({ type: 'event', url: '/', name: 'x', data: [1] }))).toBe(
      'data must be an object',
    );
    expect(messageOf(() => parsePixelHit({ type: 'pageview', url: '/', referrer: {} }))).toBe(
      'referrer must be a string',
    );
  });

  it('turns a pageview into a valid Segment page message', () => {
    const hit = parsePixelHit({
      type: 'pageview',
      url: 'https://shop.example/p/1?utm_source=x',
      referrer: 'https://google.com/',
      title: 'Product',
    });
    const raw = pixelHitToMessage(hit, 'a-1');
    expect(raw).toEqual({
      type: 'page',
      anonymousId: 'a-1',
      name: null,
      properties: {
        url: 'https://shop.example/p/1?utm_source=x',
        path: '/p/1',
        search: '?utm_source=x',
        referrer: 'https://google.com/',
        title: 'Product',
      },
      context: {
        page: {
          url: 'https://shop.example/p/1?utm_source=x',
          path: '/p/1',
          search: '?utm_source=x',
          referrer: 'https://google.com/',
          title: 'Product',
        },
      },
    });
    expect(normalizeMessage({ raw, receivedAt: new Date() }).ok).toBe(true);
  });

  it('turns an event into a track of name with data as properties', () => {
    const hit = parsePixelHit({
      type: 'event',
      url: '/checkout',
      name: 'purchase',
      data: { value: 99.99 },
    });
    const raw = pixelHitToMessage(hit, 'a-2');
    expect(raw).toEqual({
      type: 'track',
      anonymousId: 'a-2',
      event: 'purchase',
      properties: { value: 99.99 },
      context: { page: { url: '/checkout', path: '/checkout', search: '' } },
    });
    const normalized = normalizeMessage({ raw, receivedAt: new Date() });
    expect(normalized.ok && normalized.message.event).toBe('purchase');
  });
});
