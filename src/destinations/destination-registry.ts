import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { parseJsonColumn } from '../ingestion/event-view';
import { adapterFor } from './adapters';
import { secretNames } from './destination-settings';
import type { DestinationConfig, DestinationFilter, DestinationView } from './destination-types';
import { DestinationEntity } from './entities/destination.entity';
import { MASK, SecretBox } from './secrets';

/** Destination changes reach other processes within this long. */
const TTL_MS = 5000;
/** An unknown id forces a reload, at most this often (a destination created on another process). */
const MISS_RELOAD_MS = 500;

interface Snapshot {
  at: number;
  byId: Map<string, DestinationConfig>;
  bySource: Map<string, DestinationConfig[]>;
}

/** The fields both forms share, with the stored settings replaced by `settings`. */
function fieldsOf(e: DestinationEntity, settings: Record<string, unknown>) {
  return {
    id: e.id,
    sourceId: e.sourceId,
    type: e.type,
    name: e.name,
    enabled: Boolean(e.enabled),
    settings,
    mapping: parseJsonColumn<Record<string, string>>(e.mapping, {}),
    filter: parseJsonColumn<DestinationFilter>(e.filter, {}),
  };
}

export function toDestinationView(e: DestinationEntity): DestinationView {
  const masked = { ...parseJsonColumn<Record<string, unknown>>(e.settings, {}) };
  for (const name of secretNames(adapterFor(e.type)))
    if (masked[name] !== undefined) masked[name] = MASK;
  return {
    ...fieldsOf(e, masked),
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

/**
 * Every destination with its secrets decrypted, cached briefly per process: the fan-out reads it for
 * every pipeline job and the processor for every delivery job.
 */
@Injectable()
export class DestinationRegistry {
  private readonly logger = new Logger('Destinations');
  private snapshot: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;

  constructor(
    @InjectRepository(DestinationEntity) private readonly repo: Repository<DestinationEntity>,
    private readonly secrets: SecretBox,
  ) {}

  async enabledFor(sourceId: string): Promise<DestinationConfig[]> {
    return (await this.current()).bySource.get(sourceId) ?? [];
  }

  async get(id: string): Promise<DestinationConfig | null> {
    let snap = await this.current();
    if (!snap.byId.has(id) && Date.now() - snap.at > MISS_RELOAD_MS) snap = await this.reload();
    return snap.byId.get(id) ?? null;
  }

  invalidate(): void {
    this.snapshot = null;
  }

  toConfig(e: DestinationEntity): DestinationConfig {
    const stored = parseJsonColumn<Record<string, unknown>>(e.settings, {});
    const settings = { ...stored };
    const secrets: string[] = [];
    for (const name of secretNames(adapterFor(e.type))) {
      const v = stored[name];
      if (!this.secrets.isEncrypted(v)) continue;
      settings[name] = this.secrets.decrypt(v);
      secrets.push(settings[name] as string);
    }
    return { ...fieldsOf(e, settings), secrets };
  }

  private async current(): Promise<Snapshot> {
    if (this.snapshot && Date.now() - this.snapshot.at < TTL_MS) return this.snapshot;
    return this.reload();
  }

  private reload(): Promise<Snapshot> {
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<Snapshot> {
    const rows = await this.repo.find();
    const byId = new Map<string, DestinationConfig>();
    const bySource = new Map<string, DestinationConfig[]>();
    for (const row of rows) {
      let config: DestinationConfig;
      try {
        config = this.toConfig(row);
      } catch (err) {
        // Without the right SECRETS_KEY nothing can be sent; failing the job keeps its events queued.
        this.logger.error(
          { err, destinationId: row.id },
          'cannot decrypt destination secrets: check SECRETS_KEY',
        );
        throw err;
      }
      byId.set(config.id, config);
      if (config.enabled) {
        const list = bySource.get(config.sourceId) ?? [];
        list.push(config);
        bySource.set(config.sourceId, list);
      }
    }
    this.snapshot = { at: Date.now(), byId, bySource };
    return this.snapshot;
  }
}
