import { Body, Controller, Get, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../common/admin.guard';
import { CreateSourceCommand } from './commands/create-source.command';
import {
  CreatedSourceResponseDto,
  CreateSourceDto,
  SourceResponseDto,
} from './dto/create-source.dto';
import { GetSourcesQuery } from './queries/get-sources.query';

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/sources')
export class SourcesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedSourceResponseDto })
  create(@Body() dto: CreateSourceDto) {
    return this.commands.execute(
      new CreateSourceCommand(dto.name.trim(), {
        allowedOrigins: dto.allowedOrigins ?? [],
        cookieless: dto.cookieless ?? false,
        ...(dto.cookieDomain ? { cookieDomain: dto.cookieDomain.toLowerCase() } : {}),
      }),
    );
  }

  @Get()
  @ApiOkResponse({ type: [SourceResponseDto] })
  async list() {
    return { items: await this.queries.execute(new GetSourcesQuery()), nextCursor: null };
  }

  @Get(':id')
  @ApiOkResponse({ type: SourceResponseDto })
  async get(@Param('id') id: string) {
    const [source] = await this.queries.execute(new GetSourcesQuery(id));
    if (!source) throw new NotFoundException(`source ${id} not found`);
    return source;
  }
}
