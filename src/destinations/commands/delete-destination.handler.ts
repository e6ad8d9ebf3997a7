import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DestinationRegistry } from '../destination-registry';
import { DestinationEntity } from '../entities/destination.entity';
import { DeleteDestinationCommand } from './delete-destination.command';

/** Queued jobs for a deleted destination find nothing to send and end; its Track rows stay. */
@CommandHandler(DeleteDestinationCommand)
export class DeleteDestinationHandler implements ICommandHandler<DeleteDestinationCommand> {
  constructor(
    @InjectRepository(DestinationEntity) private readonly repo: Repository<DestinationEntity>,
    private readonly registry: DestinationRegistry,
  ) {}

  async execute({ id }: DeleteDestinationCommand): Promise<boolean> {
    const result = await this.repo.delete({ id });
    this.registry.invalidate();
    return (result.affected ?? 0) > 0;
  }
}
