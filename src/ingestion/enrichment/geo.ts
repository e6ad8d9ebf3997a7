import type * as GeoIpLite from 'geoip-lite';

export interface GeoLocation {
  country: string | null;
  region: string | null;
  city: string | null;
}

/**
 * Country, region and city from an IP with the offline database that ships inside geoip-lite (no
 * network at run time). Requiring geoip-lite reads its data files synchronously (about 140 MB kept
 * in memory, ~150 ms), so it is loaded once: at start-up of the processes that ingest (see
 * Enricher.onApplicationBootstrap) or, failing that, on the first lookup.
 */
export class GeoLocator {
  private db: typeof GeoIpLite | null = null;

  load(): typeof GeoIpLite {
    if (this.db) return this.db;
    // A deferred require on purpose: an import would load 140 MB into every process that merely
    // imports this file (workers, unit tests, the CLI).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.db = require('geoip-lite') as typeof GeoIpLite;
    return this.db;
  }

  get loaded(): boolean {
    return this.db !== null;
  }

  lookup(ip: string): GeoLocation | null {
    const hit = this.load().lookup(ip);
    if (!hit || !hit.country) return null;
    return { country: hit.country, region: hit.region || null, city: hit.city || null };
  }
}
