import {
  BadRequestException,
  Controller,
  Get,
  NotFoundException,
  Param,
  Query,
  UseGuards,
} from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../common/admin.guard';
import { normalizeDomain } from '../common/domain';
import type { AccountView } from './account-view';
import { AccountDto, FindAccountQueryDto } from './dto/admin-accounts.dto';
import { GetAccountQuery } from './queries/get-account.query';

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/accounts')
export class AccountsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'An account by domain or by external account id' })
  @ApiOkResponse({ type: AccountDto })
  async find(@Query() q: FindAccountQueryDto): Promise<AccountView> {
    if (q.domain !== undefined && q.accountId !== undefined) {
      throw new BadRequestException('give either domain or accountId, not both');
    }
    if (q.domain !== undefined) {
      if (!normalizeDomain(q.domain)) {
        throw new BadRequestException(`domain "${q.domain.slice(0, 100)}" is not a domain name`);
      }
      return this.found(
        await this.queries.execute(new GetAccountQuery({ domain: q.domain })),
        q.domain,
      );
    }
    if (q.accountId !== undefined) {
      return this.found(
        await this.queries.execute(new GetAccountQuery({ accountId: q.accountId })),
        q.accountId,
      );
    }
    throw new BadRequestException('domain or accountId is required');
  }

  @Get(':id')
  @ApiOperation({ summary: 'An account with its groups and profile count' })
  @ApiOkResponse({ type: AccountDto })
  async get(@Param('id') id: string): Promise<AccountView> {
    return this.found(await this.queries.execute(new GetAccountQuery({ id })), id);
  }

  private found(account: AccountView | null, what: string): AccountView {
    if (!account) throw new NotFoundException(`account ${what.slice(0, 100)} not found`);
    return account;
  }
}
