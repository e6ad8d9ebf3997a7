import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CommandHandlers } from './commands';
import { Source } from './entities/source.entity';
import { QueryHandlers } from './queries';
import { SourcesController } from './sources.controller';

@Module({
  imports: [TypeOrmModule.forFeature([Source])],
  controllers: [SourcesController],
  providers: [...CommandHandlers, ...QueryHandlers],
})
export class SourcesModule {}
