import { BullModule } from '@nestjs/bull';
import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
} from '@nestjs/common';
import cookieParser from 'cookie-parser';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Role, runsWorker } from '../config/configuration';
import { AdminEventsController } from './admin-events.controller';
import { AssignEventAccountsHandler } from './commands/assign-event-accounts.handler';
import { DispatchEventsHandler } from './commands/dispatch-events.handler';
import { IngestMessagesHandler } from './commands/ingest-messages.handler';
import { Enricher } from './enrichment/enricher';
import { PublicCorsMiddleware, PUBLIC_ROUTES } from './http/public-cors.middleware';
import { PublicRateLimitModule } from './http/public-rate-limit.guard';
import { PublicRedisModule } from './http/public-redis';
import { VisitorIds } from './http/visitor-id';
import { EventEntity } from './entities/event.entity';
import { RejectedEventEntity } from './entities/rejected-event.entity';
import { OnMessagesIngestedHandler } from './events/on-messages-ingested.handler';
import { DispatchSweeper } from './pipeline/dispatch.sweeper';
import { PIPELINE_QUEUE } from './pipeline/pipeline.constants';
import { PipelineProcessor } from './pipeline/pipeline.processor';
import { GetEventsByIdsHandler } from './queries/get-events-by-ids.handler';
import { ListEventsHandler } from './queries/list-events.handler';
import { ListRejectedEventsHandler } from './queries/list-rejected-events.handler';
import { KoalaController, KoalaPublicController } from './koala.controller';
import { KoalaIngestion } from './koala/koala-ingestion';
import { PixelController } from './pixel.controller';
import { SegmentController } from './segment.controller';

export const CommandHandlers = [
  IngestMessagesHandler,
  DispatchEventsHandler,
  AssignEventAccountsHandler,
];
export const QueryHandlers = [GetEventsByIdsHandler, ListEventsHandler, ListRejectedEventsHandler];
export const EventHandlers = [OnMessagesIngestedHandler];

@Module({})
export class IngestionModule implements NestModule {
  static register(role: Role): DynamicModule {
    return {
      module: IngestionModule,
      imports: [
        TypeOrmModule.forFeature([EventEntity, RejectedEventEntity]),
        BullModule.registerQueue({ name: PIPELINE_QUEUE }),
        PublicRedisModule,
        PublicRateLimitModule,
      ],
      controllers: [
        SegmentController,
        KoalaController,
        KoalaPublicController,
        PixelController,
        AdminEventsController,
      ],
      providers: [
        Enricher,
        VisitorIds,
        KoalaIngestion,
        ...CommandHandlers,
        ...QueryHandlers,
        ...EventHandlers,
        // Queue consumers and sweepers run only where the worker role does.
        ...(runsWorker(role) ? [PipelineProcessor, DispatchSweeper] : []),
      ],
      exports: [Enricher],
    };
  }

  /** The public-key routes read the visitor cookie and answer CORS per source, preflights included. */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(cookieParser(), PublicCorsMiddleware)
      .forRoutes(...PUBLIC_ROUTES.map((path) => ({ path, method: RequestMethod.ALL })));
  }
}
