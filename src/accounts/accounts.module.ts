import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountStore } from './account-store';
import { AccountsController } from './accounts.controller';
import { CommandHandlers } from './commands';
import { EventHandlers } from './events';
import { AccountGroupEntity } from './entities/account-group.entity';
import { AccountEntity } from './entities/account.entity';
import { ProfileAccountEntity } from './entities/profile-account.entity';
import { QueryHandlers } from './queries';

/**
 * Accounts (companies) for every role: the API resolves them synchronously for Koala's
 * /accounts/batch, the worker in the pipeline (LinkAccountsCommand).
 */
@Module({
  imports: [TypeOrmModule.forFeature([AccountEntity, AccountGroupEntity, ProfileAccountEntity])],
  controllers: [AccountsController],
  providers: [AccountStore, ...CommandHandlers, ...QueryHandlers, ...EventHandlers],
})
export class AccountsModule {}
