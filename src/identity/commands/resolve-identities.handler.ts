import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { ProfilesMerged } from '../events/profiles-merged.event';
import { IdentityResolver } from '../resolution/identity-resolver';
import { ResolveIdentitiesCommand } from './resolve-identities.command';

@CommandHandler(ResolveIdentitiesCommand)
export class ResolveIdentitiesHandler implements ICommandHandler<ResolveIdentitiesCommand> {
  constructor(
    private readonly resolver: IdentityResolver,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ events }: ResolveIdentitiesCommand): Promise<void> {
    if (events.length === 0) return;
    const outcome = await this.resolver.resolve(this.resolver.inputsOf(events));
    for (const e of events) e.profileId = outcome.profiles.get(e.id) ?? null;
    const byInto = new Map<string, { from: string[]; eventId: string }>();
    for (const m of outcome.merges) {
      const entry = byInto.get(m.into) ?? { from: [], eventId: m.eventId };
      entry.from.push(m.from);
      byInto.set(m.into, entry);
    }
    for (const [into, { from, eventId }] of byInto)
      this.eventBus.publish(new ProfilesMerged(into, from, eventId));
  }
}
