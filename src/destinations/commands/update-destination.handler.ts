import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { parseJsonColumn } from '../../ingestion/event-view';
import { DestinationRegistry, toDestinationView } from '../destination-registry';
import type { DestinationView } from '../destination-types';
import { DestinationEntity } from '../entities/destination.entity';
import { SecretBox } from '../secrets';
import { checkMapping, cleanFilter, settingsToStore } from './destination-writes';
import { UpdateDestinationCommand } from './update-destination.command';

@CommandHandler(UpdateDestinationCommand)
export class UpdateDestinationHandler implements ICommandHandler<UpdateDestinationCommand> {
  constructor(
    @InjectRepository(DestinationEntity) private readonly repo: Repository<DestinationEntity>,
    private readonly secrets: SecretBox,
    private readonly registry: DestinationRegistry,
  ) {}

  async execute({ id, patch }: UpdateDestinationCommand): Promise<DestinationView | null> {
    const entity = await this.repo.findOneBy({ id });
    if (!entity) return null;
    if (patch.name !== undefined) entity.name = patch.name;
    if (patch.enabled !== undefined) entity.enabled = patch.enabled;
    if (patch.settings !== undefined) {
      const stored = parseJsonColumn<Record<string, unknown>>(entity.settings, {});
      entity.settings = settingsToStore(entity.type, patch.settings, this.secrets, stored);
    } else {
      entity.settings = parseJsonColumn(entity.settings, {});
    }
    entity.mapping =
      patch.mapping !== undefined
        ? checkMapping(patch.mapping)
        : parseJsonColumn(entity.mapping, {});
    entity.filter =
      patch.filter !== undefined ? cleanFilter(patch.filter) : parseJsonColumn(entity.filter, {});
    entity.updatedAt = new Date();
    await this.repo.save(entity);
    this.registry.invalidate();
    return toDestinationView(entity);
  }
}
