import { CreateDestinationHandler } from './create-destination.handler';
import { DeleteDestinationHandler } from './delete-destination.handler';
import { DeliverEventsHandler } from './deliver-events.handler';
import { FanOutDeliveriesHandler } from './fan-out-deliveries.handler';
import { ReplayHandler } from './replay.handler';
import { UpdateDestinationHandler } from './update-destination.handler';

export const CommandHandlers = [
  CreateDestinationHandler,
  UpdateDestinationHandler,
  DeleteDestinationHandler,
  FanOutDeliveriesHandler,
  DeliverEventsHandler,
  ReplayHandler,
];
