import { Command } from '@nestjs/cqrs';
import type { DestinationFilter, DestinationType, DestinationView } from '../destination-types';

export interface DestinationInput {
  sourceId: string;
  type: DestinationType;
  name: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  mapping: Record<string, string>;
  filter: DestinationFilter;
}

/** Validates the settings for the type, encrypts the secrets, stores the destination. */
export class CreateDestinationCommand extends Command<DestinationView> {
  constructor(readonly input: DestinationInput) {
    super();
  }
}
