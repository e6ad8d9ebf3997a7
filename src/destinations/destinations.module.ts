import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Role, runsWorker } from '../config/configuration';
import { CommandHandlers } from './commands';
import { DestinationRegistry } from './destination-registry';
import { DestinationsController } from './destinations.controller';
import { DELIVERY_QUEUE, DELIVERY_QUEUE_SETTINGS } from './delivery/delivery.constants';
import { DeliveryProcessor } from './delivery/delivery.processor';
import { GoogleTokenService } from './delivery/google-token.service';
import { DestinationEntity } from './entities/destination.entity';
import { TrackEntity } from './entities/track.entity';
import { QueryHandlers } from './queries';
import { SecretBox } from './secrets';

@Module({})
export class DestinationsModule {
  static register(role: Role): DynamicModule {
    return {
      module: DestinationsModule,
      imports: [
        TypeOrmModule.forFeature([DestinationEntity, TrackEntity]),
        BullModule.registerQueue({ name: DELIVERY_QUEUE, settings: DELIVERY_QUEUE_SETTINGS }),
      ],
      controllers: [DestinationsController],
      providers: [
        SecretBox,
        DestinationRegistry,
        GoogleTokenService,
        ...CommandHandlers,
        ...QueryHandlers,
        // The delivery consumer runs only where the worker role does.
        ...(runsWorker(role) ? [DeliveryProcessor] : []),
      ],
    };
  }
}
