import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AssignEventAccountsCommand } from './assign-event-accounts.command';

@CommandHandler(AssignEventAccountsCommand)
export class AssignEventAccountsHandler implements ICommandHandler<AssignEventAccountsCommand> {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async execute({ assignments }: AssignEventAccountsCommand): Promise<void> {
    if (assignments.length === 0) return;
    // One statement per job, keyed by primary key.
    await this.db.query(
      `UPDATE events SET account_id = CASE id ${assignments.map(() => 'WHEN ? THEN ?').join(' ')} END
       WHERE id IN (${assignments.map(() => '?').join(',')})`,
      [
        ...assignments.flatMap((a) => [a.eventId, a.accountId]),
        ...assignments.map((a) => a.eventId),
      ],
    );
  }
}
