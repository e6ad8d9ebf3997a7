import { Enricher } from './enricher';
import { LruCache } from './lru-cache';
import { UserAgentParser } from './user-agent';

const CHROME_WIN =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const SERVER_LIB = 'analytics-node-next/latest';

describe('Enricher', () => {
  const enricher = new Enricher();

  it('fills ip and userAgent from the caller only where the context has none', () => {
    const own = enricher.enrich(
      { ip: '198.51.100.1', userAgent: IPHONE },
      { ip: '8.8.8.8', userAgent: CHROME_WIN },
      'pixel',
    );
    expect(own.context).toEqual({ ip: '198.51.100.1', userAgent: IPHONE });
    const filled = enricher.enrich({}, { ip: '8.8.8.8', userAgent: CHROME_WIN }, 'pixel');
    expect(filled.context).toEqual({ ip: '8.8.8.8', userAgent: CHROME_WIN });
  });

  it('parses the user agent into browser, os and device under enrichment', () => {
    const desktop = enricher.enrich({}, { ip: null, userAgent: CHROME_WIN }, 'pixel');
    expect(desktop.enrichment).toMatchObject({
      channel: 'pixel',
      userAgent: {
        browser: { name: 'Chrome', version: '120.0.0.0' },
        os: { name: 'Windows', version: '10' },
        device: { type: 'desktop' },
      },
    });
    const phone = enricher.enrich({}, { ip: null, userAgent: IPHONE }, 'pixel');
    expect(phone.enrichment.userAgent).toMatchObject({
      browser: { name: 'Mobile Safari' },
      os: { name: 'iOS', version: '17.1' },
      device: { type: 'mobile', vendor: 'Apple', model: 'iPhone' },
    });
    // The caller's context user agent is the visitor's; it wins over the calling server's header.
    const forwarded = enricher.enrich(
      { userAgent: IPHONE },
      { ip: null, userAgent: SERVER_LIB },
      'segment',
    );
    expect(forwarded.enrichment.userAgent).toMatchObject({ os: { name: 'iOS' } });
  });

  it('locates public IPs (v4 and v6) with the offline database and skips private ones', () => {
    const v4 = enricher.enrich({ ip: '8.8.8.8' }, { ip: null, userAgent: CHROME_WIN }, 'pixel');
    expect(v4.enrichment.geo).toMatchObject({ country: 'US' });
    const v6 = enricher.enrich(
      { ip: '2a00:1450:4001:80b::200e' },
      { ip: null, userAgent: CHROME_WIN },
      'pixel',
    );
    expect(v6.enrichment.geo).toMatchObject({ country: 'DE' });
    const local = enricher.enrich({}, { ip: '10.1.2.3', userAgent: CHROME_WIN }, 'pixel');
    expect(local.enrichment.geo).toBeUndefined();
    const garbage = enricher.enrich(
      { ip: 'not an ip' },
      { ip: null, userAgent: CHROME_WIN },
      'pixel',
    );
    expect(garbage.enrichment.geo).toBeUndefined();
  });

  it('copies utm_* and click ids of the page url into empty campaign / clickIds', () => {
    const r = enricher.enrich(
      {
        page: {
          url: 'https://shop.example/?utm_source=fb&utm_campaign=spring&fbclid=IwAR1-x_Y&gclid=Cj0',
        },
      },
      { ip: null, userAgent: CHROME_WIN },
      'pixel',
    );
    expect(r.context.campaign).toEqual({ source: 'fb', name: 'spring' });
    expect(r.context.clickIds).toEqual({ fbclid: 'IwAR1-x_Y', gclid: 'Cj0' });
  });

  it('never overwrites campaign or clickIds the caller sent, not even partly', () => {
    const r = enricher.enrich(
      {
        page: { url: 'https://shop.example/?utm_source=fb&utm_medium=cpc&gclid=FROM_URL' },
        campaign: { source: 'newsletter' },
        clickIds: { gclid: 'FROM_CALLER' },
      },
      { ip: null, userAgent: CHROME_WIN },
      'segment',
    );
    expect(r.context.campaign).toEqual({ source: 'newsletter' });
    expect(r.context.clickIds).toEqual({ gclid: 'FROM_CALLER' });
    // One filled, one empty: only the empty one is taken from the url.
    const half = enricher.enrich(
      { page: { url: '/landing?utm_source=fb&ttclid=T1' }, campaign: { name: 'mine' } },
      { ip: null, userAgent: CHROME_WIN },
      'pixel',
    );
    expect(half.context.campaign).toEqual({ name: 'mine' });
    expect(half.context.clickIds).toEqual({ ttclid: 'T1' });
  });

  it('leaves context alone when the page url has no attribution', () => {
    const r = enricher.enrich(
      { page: { url: 'https://shop.example/a?x=1' } },
      { ip: null, userAgent: null },
      'segment',
    );
    expect(r.context).toEqual({ page: { url: 'https://shop.example/a?x=1' } });
  });

  it('flags bots by user agent; a missing one is a bot for pixel and Koala but not for Segment', () => {
    const none = { ip: '8.8.8.8', userAgent: null };
    expect(enricher.enrich({}, none, 'pixel').bot).toBe(true);
    expect(enricher.enrich({}, none, 'koala').bot).toBe(true);
    expect(enricher.enrich({}, none, 'segment').bot).toBe(false);
    expect(enricher.enrich({}, { ip: null, userAgent: GOOGLEBOT }, 'pixel').bot).toBe(true);
    expect(enricher.enrich({}, { ip: null, userAgent: GOOGLEBOT }, 'koala').bot).toBe(true);
    expect(enricher.enrich({}, { ip: null, userAgent: CHROME_WIN }, 'pixel').bot).toBe(false);
    expect(enricher.enrich({}, { ip: null, userAgent: CHROME_WIN }, 'koala').bot).toBe(false);
    // A Segment server library's own User-Agent header is not the visitor's.
    expect(enricher.enrich({}, { ip: null, userAgent: SERVER_LIB }, 'segment').bot).toBe(false);
    // The visitor's user agent in the context is what counts for Segment.
    expect(
      enricher.enrich({ userAgent: GOOGLEBOT }, { ip: null, userAgent: SERVER_LIB }, 'segment').bot,
    ).toBe(true);
    expect(
      enricher.enrich({ userAgent: CHROME_WIN }, { ip: null, userAgent: GOOGLEBOT }, 'segment').bot,
    ).toBe(false);
  });

  it('does not change the context object it was given', () => {
    const context = { page: { url: '/?utm_source=x' } };
    enricher.enrich(context, { ip: '8.8.8.8', userAgent: CHROME_WIN }, 'pixel');
    expect(context).toEqual({ page: { url: '/?utm_source=x' } });
  });
});

describe('UserAgentParser', () => {
  it('answers repeated user agents from its cache with the same result', () => {
    const parser = new UserAgentParser(2);
    const first = parser.parse(CHROME_WIN);
    expect(parser.parse(CHROME_WIN)).toBe(first);
    parser.parse(IPHONE);
    parser.parse(GOOGLEBOT); // evicts CHROME_WIN, the least recently used
    expect(parser.parse(CHROME_WIN)).not.toBe(first);
    expect(parser.parse(CHROME_WIN)).toEqual(first);
  });

  it('cuts absurdly long strings before parsing', () => {
    const parsed = new UserAgentParser().parse(CHROME_WIN + ' x'.repeat(100_000));
    expect(parsed.details).toMatchObject({ browser: { name: 'Chrome' } });
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    expect(c.size).toBe(2);
  });
});
