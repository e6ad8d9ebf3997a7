import { BadRequestException } from '@nestjs/common';
import { CommandHandler, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { newId } from '../../common/ids';
import { GetSourcesQuery } from '../../sources/queries/get-sources.query';
import { DestinationRegistry, toDestinationView } from '../destination-registry';
import type { DestinationView } from '../destination-types';
import { DestinationEntity } from '../entities/destination.entity';
import { SecretBox } from '../secrets';
import { CreateDestinationCommand } from './create-destination.command';
import { checkMapping, cleanFilter, settingsToStore } from './destination-writes';

@CommandHandler(CreateDestinationCommand)
export class CreateDestinationHandler implements ICommandHandler<CreateDestinationCommand> {
  constructor(
    @InjectRepository(DestinationEntity) private readonly repo: Repository<DestinationEntity>,
    private readonly queries: QueryBus,
    private readonly secrets: SecretBox,
    private readonly registry: DestinationRegistry,
  ) {}

  async execute({ input }: CreateDestinationCommand): Promise<DestinationView> {
    const [source] = await this.queries.execute(new GetSourcesQuery(input.sourceId));
    if (!source) throw new BadRequestException(`sourceId ${input.sourceId} is not a source`);
    const now = new Date();
    const entity = this.repo.create({
      id: newId(),
      sourceId: input.sourceId,
      type: input.type,
      name: input.name,
      enabled: input.enabled,
      settings: settingsToStore(input.type, input.settings, this.secrets),
      mapping: checkMapping(input.mapping),
      filter: cleanFilter(input.filter),
      createdAt: now,
      updatedAt: now,
    });
    await this.repo.save(entity);
    this.registry.invalidate();
    return toDestinationView(entity);
  }
}
