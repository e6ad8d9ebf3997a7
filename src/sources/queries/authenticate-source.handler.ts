import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { sha256Hex } from '../../common/keys';
import { Source } from '../entities/source.entity';
import { SourceView, toSourceView } from '../source-view';
import { AuthenticateSourceQuery } from './authenticate-source.query';

const TTL_MS = 30_000;
const MISS_TTL_MS = 2_000;
const MAX_ENTRIES = 10_000;

/**
 * Every ingestion request authenticates, so answers are cached briefly per process. Misses are
 * cached for less time so a source created on another process becomes usable within seconds.
 */
@QueryHandler(AuthenticateSourceQuery)
export class AuthenticateSourceHandler implements IQueryHandler<AuthenticateSourceQuery> {
  private readonly cache = new Map<string, { view: SourceView | null; expires: number }>();

  constructor(@InjectRepository(Source) private readonly sources: Repository<Source>) {}

  async execute({ key }: AuthenticateSourceQuery): Promise<SourceView | null> {
    const cacheKey = 'writeKey' in key ? `w:${sha256Hex(key.writeKey)}` : `p:${key.publicKey}`;
    const now = Date.now();
    const hit = this.cache.get(cacheKey);
    if (hit && hit.expires > now) return hit.view;

    const source =
      'writeKey' in key
        ? await this.sources.findOneBy({ writeKeyHash: cacheKey.slice(2) })
        : await this.sources.findOneBy({ publicKey: key.publicKey });
    const view = source ? toSourceView(source) : null;
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(cacheKey, { view, expires: now + (view ? TTL_MS : MISS_TTL_MS) });
    return view;
  }
}
