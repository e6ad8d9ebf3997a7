import { Logger } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { ProfilesMerged } from '../../identity/events/profiles-merged.event';
import { AccountStore } from '../account-store';

/**
 * Profiles merged by identity take their account links along. The in-memory event bus may lose this
 * on a crash; the links then stay on the merged-away id until the person's next event with a company
 * email or group call links the surviving profile again.
 */
@EventsHandler(ProfilesMerged)
export class OnProfilesMergedHandler implements IEventHandler<ProfilesMerged> {
  private readonly logger = new Logger('Accounts');

  constructor(private readonly store: AccountStore) {}

  async handle({ into, from }: ProfilesMerged): Promise<void> {
    try {
      await this.store.moveLinks(from, into);
    } catch (err) {
      // Event handler errors would otherwise only reach the UnhandledExceptionBus.
      this.logger.error({ err, into, from }, 'moving account links of merged profiles failed');
    }
  }
}
