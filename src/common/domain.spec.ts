import { companyDomainOfEmail, isCompanyDomain, normalizeDomain } from './domain';

describe('normalizeDomain', () => {
  it.each([
    ['acme.com', 'acme.com'],
    ['ACME.com', 'acme.com'],
    ['https://www.Acme.com/pricing?x=1#top', 'acme.com'],
    ['http://user:pw@www.acme.com:8080/', 'acme.com'],
    ['www.acme.co.uk', 'acme.co.uk'],
    ['app.acme.com', 'app.acme.com'],
    ['acme.com.', 'acme.com'],
    ['  acme.io  ', 'acme.io'],
    ['bücher.de', 'xn--bcher-kva.de'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeDomain(input)).toBe(expected);
  });

  it.each([
    ['not a domain'],
    ['localhost'],
    ['127.0.0.1'],
    ['http://[::1]/'],
    [''],
    ['acme'],
    ['-acme.com'],
    [`${'a'.repeat(64)}.com`],
  ])('rejects %j', (input) => {
    expect(normalizeDomain(input)).toBeNull();
  });

  it('rejects non-strings', () => {
    expect(normalizeDomain(42)).toBeNull();
    expect(normalizeDomain(null)).toBeNull();
    expect(normalizeDomain({ domain: 'acme.com' })).toBeNull();
  });
});

describe('company domains', () => {
  it('knows free-mail and disposable providers from the freemail package', () => {
    for (const d of ['gmail.com', 'outlook.com', 'yahoo.com', 'hotmail.com', 'mailinator.com']) {
      expect(isCompanyDomain(d)).toBe(false);
    }
    expect(isCompanyDomain('acme.com')).toBe(true);
  });

  it('never takes names reserved for documentation and tests for a company', () => {
    for (const d of ['example.com', 'mail.example.org', 'acme.example', 'shop.test', 'x.invalid']) {
      expect(isCompanyDomain(d)).toBe(false);
    }
    expect(isCompanyDomain('example-co.com')).toBe(true);
    expect(isCompanyDomain('testing.io')).toBe(true);
  });

  it('takes the company domain from an email address', () => {
    expect(companyDomainOfEmail('Jane@WWW.Acme.com')).toBe('acme.com');
    expect(companyDomainOfEmail('jane@sub.acme.com')).toBe('sub.acme.com');
    expect(companyDomainOfEmail('jane@gmail.com')).toBeNull();
    expect(companyDomainOfEmail('jane@mailinator.com')).toBeNull();
    expect(companyDomainOfEmail('no-at-sign')).toBeNull();
    expect(companyDomainOfEmail('@acme.com')).toBeNull();
    expect(companyDomainOfEmail(undefined)).toBeNull();
  });
});
