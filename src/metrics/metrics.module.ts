import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { OBSERVED_QUEUES, QueueMetricsCollector } from './queue-metrics.collector';

@Module({
  imports: OBSERVED_QUEUES.map((name) => BullModule.registerQueue({ name })),
  controllers: [MetricsController],
  providers: [QueueMetricsCollector],
})
export class MetricsModule {}
