import { ADAPTERS } from './adapters';
import { validateSettings } from './destination-settings';

describe('validateSettings', () => {
  it('names every missing, unknown or malformed setting', () => {
    const { errors } = validateSettings(ADAPTERS.ga4, {
      measurementId: 'UA-1',
      testMode: 'yes',
      colour: 'red',
    });
    expect(errors).toEqual([
      'settings.colour is not a setting of ga4 (known: measurementId, apiSecret, testMode, defaultCurrency, endpoint)',
      'settings.measurementId is not valid for ga4 (like G-XXXXXXX)',
      'settings.apiSecret is required for ga4',
      'settings.testMode must be true or false',
    ]);
  });

  it('trims strings and accepts a stored secret as present', () => {
    const r = validateSettings(
      ADAPTERS.meta_capi,
      { pixelId: ' 123 ' },
      (n) => n === 'accessToken',
    );
    expect(r.errors).toEqual([]);
    expect(r.settings).toEqual({ pixelId: '123' });
  });

  it('requires the developer token only for the legacy Google Ads API', () => {
    const base = {
      customerId: '1234567890',
      conversionActionId: '1',
      clientId: 'c',
      clientSecret: 's',
      refreshToken: 'r',
    };
    expect(validateSettings(ADAPTERS.google_ads, base).errors).toEqual([]);
    expect(validateSettings(ADAPTERS.google_ads, { ...base, api: 'legacy' }).errors).toEqual([
      'settings.developerToken is required for google_ads when api is legacy',
    ]);
  });
});
