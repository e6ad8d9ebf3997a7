import { ConfigError, loadConfig } from '../../config/configuration';
import {
  identitiesOf,
  normalizeEmail,
  normalizeIdentity,
  normalizePhone,
  type IdentitySource,
} from './identities';

const message = (m: Partial<IdentitySource>): IdentitySource => ({
  type: 'track',
  userId: null,
  anonymousId: null,
  previousId: null,
  traits: {},
  context: {},
  ...m,
});

describe('identity normalisation', () => {
  it('trims and lowercases emails and refuses what is no address', () => {
    expect(normalizeEmail('  Jane.Doe@Example.COM\t')).toBe('jane.doe@example.com');
    expect(normalizeEmail('n/a')).toBeNull();
    expect(normalizeEmail('')).toBeNull();
    expect(normalizeEmail('a b@example.com')).toBeNull();
    expect(normalizeEmail(42)).toBeNull();
    expect(normalizeEmail(`${'x'.repeat(250)}@example.com`)).toBeNull();
  });

  it('writes phones in E.164, using the default region for national numbers', () => {
    for (const p of [
      '(415) 555-2671',
      '415.555.2671',
      '+1 415 555 2671',
      '1-415-555-2671',
      4155552671,
    ]) {
      expect(normalizePhone(p, 'US')).toBe('+14155552671');
    }
    expect(normalizePhone('030 1234567', 'DE')).toBe('+49301234567');
    expect(normalizePhone('+49 30 1234567', 'US')).toBe('+49301234567');
  });

  it('refuses phone numbers that are not valid numbers', () => {
    for (const p of ['12', '000-000-0000', 'call me', '', '   ', null, {}]) {
      expect(normalizePhone(p, 'US')).toBeNull();
    }
  });

  it('never makes the cookieless placeholder or an empty value an identity', () => {
    expect(normalizeIdentity('anonymousId', 'cookieless', 'US')).toBeNull();
    expect(normalizeIdentity('anonymousId', 'Cookieless', 'US')).toBeNull();
    expect(normalizeIdentity('userId', '  ', 'US')).toBeNull();
    expect(normalizeIdentity('userId', 42, 'US')).toBe('42');
    // Ids are case-sensitive, as Segment's are.
    expect(normalizeIdentity('anonymousId', ' AbC ', 'US')).toBe('AbC');
  });
});

describe('identitiesOf', () => {
  it('reads userId, anonymousId, email and phone from traits and context.traits', () => {
    expect(
      identitiesOf(
        message({
          type: 'identify',
          userId: 'u1',
          anonymousId: 'a1',
          traits: { email: 'A@B.io' },
          context: { traits: { phone: '(415) 555-2671', email: 'other@b.io' } },
        }),
        'US',
      ),
    ).toEqual([
      { type: 'userId', value: 'u1' },
      { type: 'anonymousId', value: 'a1' },
      { type: 'email', value: 'a@b.io' },
      { type: 'phone', value: '+14155552671' },
    ]);
  });

  it('takes an alias previousId as the anonymous id it was', () => {
    expect(identitiesOf(message({ type: 'alias', userId: 'u1', previousId: 'a0' }), 'US')).toEqual([
      { type: 'userId', value: 'u1' },
      { type: 'anonymousId', value: 'a0' },
    ]);
    // previousId means nothing on other calls.
    expect(identitiesOf(message({ userId: 'u1', previousId: 'a0' }), 'US')).toEqual([
      { type: 'userId', value: 'u1' },
    ]);
  });

  it('ignores group traits, which describe the company', () => {
    expect(
      identitiesOf(
        message({ type: 'group', userId: 'u1', traits: { email: 'billing@acme.io' } }),
        'US',
      ),
    ).toEqual([{ type: 'userId', value: 'u1' }]);
  });

  it('yields nothing for a cookieless anonymous message', () => {
    expect(
      identitiesOf(message({ anonymousId: 'cookieless', traits: { email: '' } }), 'US'),
    ).toEqual([]);
  });
});

describe('DEFAULT_PHONE_REGION', () => {
  it('defaults to US, accepts a region code and names itself when wrong', () => {
    expect(loadConfig({}).defaultPhoneRegion).toBe('US');
    expect(loadConfig({ DEFAULT_PHONE_REGION: 'de' }).defaultPhoneRegion).toBe('DE');
    expect(() => loadConfig({ DEFAULT_PHONE_REGION: 'XX' })).toThrow(ConfigError);
    expect(() => loadConfig({ DEFAULT_PHONE_REGION: 'XX' })).toThrow(/DEFAULT_PHONE_REGION/);
  });
});
