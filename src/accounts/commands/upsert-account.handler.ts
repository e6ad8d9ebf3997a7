import { BadRequestException } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { normalizeDomain } from '../../common/domain';
import { AccountStore } from '../account-store';
import type { AccountRef } from '../account-view';
import { UpsertAccountCommand } from './upsert-account.command';

@CommandHandler(UpsertAccountCommand)
export class UpsertAccountHandler implements ICommandHandler<UpsertAccountCommand> {
  constructor(private readonly store: AccountStore) {}

  async execute({ input }: UpsertAccountCommand): Promise<AccountRef> {
    const domain = input.domain ? normalizeDomain(input.domain) : null;
    if (input.domain && !domain) {
      throw new BadRequestException(`domain "${input.domain.slice(0, 100)}" is not a domain name`);
    }
    const accountId = input.accountId?.trim() || null;
    if (!domain && !accountId) throw new BadRequestException('domain or account_id is required');
    if (accountId && accountId.length > 255) {
      throw new BadRequestException('account_id must be at most 255 characters');
    }
    return this.store.upsert({ domain, accountId }, input.traits ?? []);
  }
}
