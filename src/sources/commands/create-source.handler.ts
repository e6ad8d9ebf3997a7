import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { newId } from '../../common/ids';
import { randomKey, sha256Hex } from '../../common/keys';
import { Source } from '../entities/source.entity';
import { toSourceView } from '../source-view';
import { CreatedSource, CreateSourceCommand } from './create-source.command';

@CommandHandler(CreateSourceCommand)
export class CreateSourceHandler implements ICommandHandler<CreateSourceCommand> {
  constructor(@InjectRepository(Source) private readonly sources: Repository<Source>) {}

  async execute({ name, settings }: CreateSourceCommand): Promise<CreatedSource> {
    const writeKey = randomKey('wk_', 24);
    const source = this.sources.create({
      id: newId(),
      name,
      writeKeyHash: sha256Hex(writeKey),
      publicKey: randomKey('pk_', 12),
      settings,
      createdAt: new Date(),
    });
    await this.sources.insert(source);
    return { ...toSourceView(source), writeKey };
  }
}
