import { isFQDN } from 'class-validator';
import { isDisposable, isFree } from 'freemail';

const MAX_DOMAIN_LENGTH = 253;

/**
 * A company's domain in the one form accounts are keyed by: lowercase, no scheme, user info, port,
 * path, query, trailing dot or leading `www.`; internationalised names in their punycode (ASCII) form.
 * Null when the value is not a domain name (an IP address, `localhost`, free text).
 */
export function normalizeDomain(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const input = value.trim();
  if (!input || input.length > 2048) return null;
  let host: string;
  try {
    // The WHATWG URL parser already lowercases, drops port/path/credentials and punycodes IDNs.
    host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`).hostname;
  } catch {
    return null;
  }
  host = host.replace(/\.$/, '').replace(/^www\./, '');
  if (host.length > MAX_DOMAIN_LENGTH) return null;
  return isFQDN(host, { require_tld: true, allow_underscores: false }) ? host : null;
}

/** Lookups scan the package's lists (tens of thousands of names): remember answers per domain. */
const companyCache = new Map<string, boolean>();
const COMPANY_CACHE_MAX = 10_000;

/** Names reserved for documentation and testing (RFC 2606, RFC 6761): nobody's company. */
const RESERVED = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)$/;

/**
 * True unless the domain is a free-mail or disposable-mail provider's (gmail.com, mailinator.com, ...,
 * from the maintained `freemail` lists) or a reserved name (jane@example.com in docs and tests).
 */
export function isCompanyDomain(domain: string): boolean {
  let answer = companyCache.get(domain);
  if (answer === undefined) {
    answer = !RESERVED.test(domain) && !isFree(domain) && !isDisposable(domain);
    if (companyCache.size >= COMPANY_CACHE_MAX) companyCache.clear();
    companyCache.set(domain, answer);
  }
  return answer;
}

/** The company domain of an email address, or null for free-mail / disposable / malformed addresses. */
export function companyDomainOfEmail(email: unknown): string | null {
  if (typeof email !== 'string') return null;
  const at = email.lastIndexOf('@');
  if (at <= 0) return null;
  const domain = normalizeDomain(email.slice(at + 1));
  return domain && isCompanyDomain(domain) ? domain : null;
}
