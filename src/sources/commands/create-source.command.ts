import { Command } from '@nestjs/cqrs';
import type { SourceSettings } from '../entities/source.entity';
import type { SourceView } from '../source-view';

export type CreatedSource = SourceView & { writeKey: string };

export class CreateSourceCommand extends Command<CreatedSource> {
  constructor(
    readonly name: string,
    readonly settings: SourceSettings,
  ) {
    super();
  }
}
