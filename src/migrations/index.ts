import { Init1763900000000 } from './1763900000000-init';
import { Identity1763900001000 } from './1763900001000-identity';
import { Accounts1763900002000 } from './1763900002000-accounts';
import { Destinations1763900003000 } from './1763900003000-destinations';

/**
 * Every migration, in order. Listed as classes rather than a glob so that the same list works from
 * ts-jest, ts-node (ormconfig.ts) and the compiled dist/.
 */
export const migrations = [
  Init1763900000000,
  Identity1763900001000,
  Accounts1763900002000,
  Destinations1763900003000,
];
