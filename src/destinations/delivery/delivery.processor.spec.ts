import { CommandBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import type { Job } from 'bull';
import { DeliverEventsCommand } from '../commands/deliver-events.command';
import type { DeliveryJobData } from './delivery.constants';
import { DeliveryProcessor } from './delivery.processor';

describe('DeliveryProcessor', () => {
  it('hands the job data to DeliverEventsCommand and returns its summary', async () => {
    const summary = { succeeded: 2, failed: 0, dead: 0, skipped: 0, alreadyDone: 0 };
    const execute = jest.fn().mockResolvedValue(summary);
    const moduleRef = await Test.createTestingModule({
      providers: [DeliveryProcessor, { provide: CommandBus, useValue: { execute } }],
    }).compile();
    const data: DeliveryJobData = {
      destinationId: 'd',
      eventIds: ['a', 'b'],
      attempt: 1,
      runId: null,
      rootId: 'r',
    };
    await expect(
      moduleRef.get(DeliveryProcessor).run({ data } as Job<DeliveryJobData>),
    ).resolves.toBe(summary);
    expect(execute).toHaveBeenCalledWith(new DeliverEventsCommand(data));
  });
});
