import { Query } from '@nestjs/cqrs';
import type { SourceView } from '../source-view';

/** Finds the source a write key or a public key belongs to; null when none does. */
export class AuthenticateSourceQuery extends Query<SourceView | null> {
  constructor(readonly key: { writeKey: string } | { publicKey: string }) {
    super();
  }
}
