import { attributionFromUrl } from './campaign';

describe('attributionFromUrl', () => {
  it('reads utm parameters in Segment campaign shape and click ids verbatim', () => {
    const a = attributionFromUrl(
      'https://shop.example/p?utm_source=google&utm_medium=cpc&utm_campaign=Black%20Friday&gclid=Cj0KAbC&fbclid=IwAR1-AbC_x',
    );
    expect(a.campaign).toEqual({ source: 'google', medium: 'cpc', name: 'Black Friday' });
    expect(a.clickIds).toEqual({ gclid: 'Cj0KAbC', fbclid: 'IwAR1-AbC_x' });
  });

  it('ignores what is not a URL', () => {
    expect(attributionFromUrl(undefined)).toEqual({ campaign: {}, clickIds: {} });
    expect(attributionFromUrl('http://[bad')).toEqual({ campaign: {}, clickIds: {} });
  });

  it('accepts a path-only URL', () => {
    expect(attributionFromUrl('/landing?ttclid=E.C.P.abc').clickIds).toEqual({
      ttclid: 'E.C.P.abc',
    });
  });
});
