import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { PIPELINE_QUEUE } from '../ingestion/pipeline/pipeline.constants';
import { HealthController } from './health.controller';

@Module({
  imports: [BullModule.registerQueue({ name: PIPELINE_QUEUE })],
  controllers: [HealthController],
})
export class HealthModule {}
