import {
  applyTouch,
  applyTraits,
  mergeTraits,
  type TimedTraits,
  touchOf,
  traitsOf,
  type Touches,
} from './profile-data';

const T1 = Date.parse('2026-11-20T10:00:00Z');
const T2 = Date.parse('2026-11-20T11:00:00Z');

describe('traits', () => {
  it('lets the later message time win per key, whatever the order of arrival', () => {
    const inOrder: TimedTraits = { values: {}, times: {} };
    applyTraits(inOrder, { plan: 'free', name: 'Jo' }, T1);
    applyTraits(inOrder, { plan: 'pro' }, T2);
    const reversed: TimedTraits = { values: {}, times: {} };
    applyTraits(reversed, { plan: 'pro' }, T2);
    expect(applyTraits(reversed, { plan: 'free', name: 'Jo' }, T1)).toBe(true);
    expect(inOrder).toEqual(reversed);
    expect(inOrder.values).toEqual({ plan: 'pro', name: 'Jo' });
  });

  it('settles equal times by value, so ties do not depend on order either', () => {
    const a: TimedTraits = { values: {}, times: {} };
    applyTraits(a, { plan: 'free' }, T1);
    applyTraits(a, { plan: 'pro' }, T1);
    const b: TimedTraits = { values: {}, times: {} };
    applyTraits(b, { plan: 'pro' }, T1);
    expect(applyTraits(b, { plan: 'free' }, T1)).toBe(false);
    expect(a).toEqual(b);
  });

  it('merges two profiles as if one had seen both histories', () => {
    const x: TimedTraits = { values: { plan: 'pro', a: 1 }, times: { plan: T2, a: T1 } };
    const y: TimedTraits = { values: { plan: 'free', b: 2 }, times: { plan: T1, b: T2 } };
    const xy = structuredClone(x);
    mergeTraits(xy, y);
    const yx = structuredClone(y);
    mergeTraits(yx, x);
    expect(xy).toEqual(yx);
    expect(xy.values).toEqual({ plan: 'pro', a: 1, b: 2 });
  });

  it('takes identify traits over context.traits, and only context.traits from other calls', () => {
    const context = { traits: { email: 'c@x.io', name: 'C' } };
    expect(traitsOf({ type: 'identify', traits: { name: 'I' }, context })).toEqual({
      email: 'c@x.io',
      name: 'I',
    });
    expect(traitsOf({ type: 'track', traits: { name: 'I' }, context })).toEqual(context.traits);
    expect(traitsOf({ type: 'group', traits: { name: 'Acme' }, context: {} })).toBeNull();
  });
});

describe('attribution', () => {
  const at = '2026-11-20T10:00:00.000Z';

  it('reads campaign and click ids from the page URL when enrichment did not', () => {
    const touch = touchOf({
      timestamp: at,
      context: {
        page: {
          url: 'https://shop.example/?utm_source=fb&utm_campaign=bf&fbclid=IwAR1-AbC_x',
          referrer: null,
        },
      },
    });
    expect(touch).toEqual({
      campaign: { source: 'fb', name: 'bf' },
      clickIds: { fbclid: 'IwAR1-AbC_x' },
      referrer: null,
      url: 'https://shop.example/?utm_source=fb&utm_campaign=bf&fbclid=IwAR1-AbC_x',
      fbc: `fb.1.${Date.parse(at)}.IwAR1-AbC_x`,
      at,
    });
  });

  it('prefers context.campaign and context.clickIds, and keeps fbp', () => {
    const touch = touchOf({
      timestamp: at,
      context: {
        campaign: { source: 'google', medium: 'cpc', term: '' },
        clickIds: { gclid: 'Cj0K' },
        page: { url: 'https://shop.example/?utm_source=ignored' },
        cookies: { _fbp: 'fb.1.1.2' },
      },
    });
    expect(touch).toMatchObject({
      campaign: { source: 'google', medium: 'cpc' },
      clickIds: { gclid: 'Cj0K' },
      fbp: 'fb.1.1.2',
    });
    expect(touch?.fbc).toBeUndefined();
  });

  it('counts a referrer from another site as a touch, but not internal navigation or nothing', () => {
    const page = (url: string, referrer: string) => ({
      timestamp: at,
      context: { page: { url, referrer } },
    });
    expect(touchOf(page('https://shop.example/a', 'https://news.example/story'))?.referrer).toBe(
      'https://news.example/story',
    );
    expect(touchOf(page('https://shop.example/b', 'https://shop.example/a'))).toBeNull();
    expect(touchOf({ timestamp: at, context: {} })).toBeNull();
  });

  it('keeps the earliest and latest touch by event time, in any order', () => {
    const t = (iso: string, source: string) =>
      touchOf({ timestamp: iso, context: { campaign: { source } } });
    const touches = [
      t('2026-11-20T10:00:00Z', 'a'),
      t('2026-11-21T10:00:00Z', 'b'),
      t('2026-11-19T10:00:00Z', 'c'),
    ];
    const forward: Touches = { first: null, last: null };
    touches.forEach((x) => applyTouch(forward, x));
    const backward: Touches = { first: null, last: null };
    [...touches].reverse().forEach((x) => applyTouch(backward, x));
    expect(forward).toEqual(backward);
    expect(forward.first?.campaign).toEqual({ source: 'c' });
    expect(forward.last?.campaign).toEqual({ source: 'b' });
  });
});
