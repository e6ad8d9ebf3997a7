import { Command } from '@nestjs/cqrs';
import type { DestinationFilter, DestinationView } from '../destination-types';

export interface DestinationPatch {
  name?: string;
  enabled?: boolean;
  /** Merged into the stored settings: a null removes one, the mask sent back keeps a secret. */
  settings?: Record<string, unknown>;
  mapping?: Record<string, string>;
  filter?: DestinationFilter;
}

/** Null when there is no such destination. */
export class UpdateDestinationCommand extends Command<DestinationView | null> {
  constructor(
    readonly id: string,
    readonly patch: DestinationPatch,
  ) {
    super();
  }
}
