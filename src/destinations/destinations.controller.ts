import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Patch,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AdminGuard } from '../common/admin.guard';
import { decodeCursor } from '../common/pagination';
import { CreateDestinationCommand } from './commands/create-destination.command';
import { DeleteDestinationCommand } from './commands/delete-destination.command';
import { ReplayCommand } from './commands/replay.command';
import { UpdateDestinationCommand } from './commands/update-destination.command';
import {
  CreateDestinationDto,
  DestinationResponseDto,
  ListDestinationsQueryDto,
  ListTracksQueryDto,
  ReplayDto,
  ReplayResponseDto,
  TrackPageDto,
  UpdateDestinationDto,
} from './dto/destination.dto';
import { GetDestinationsQuery } from './queries/get-destinations.query';
import { ListTracksQuery } from './queries/list-tracks.query';

const dateOf = (v: string | undefined): Date | undefined => (v ? new Date(v) : undefined);

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin')
export class DestinationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('destinations')
  @ApiCreatedResponse({ type: DestinationResponseDto })
  create(@Body() dto: CreateDestinationDto) {
    return this.commands.execute(
      new CreateDestinationCommand({
        sourceId: dto.sourceId,
        type: dto.type,
        name: dto.name.trim(),
        enabled: dto.enabled ?? true,
        settings: dto.settings,
        mapping: dto.mapping ?? {},
        filter: { ...dto.filter },
      }),
    );
  }

  @Get('destinations')
  @ApiOkResponse({ description: '{ items: Destination[], nextCursor: null }' })
  async list(@Query() q: ListDestinationsQueryDto) {
    return {
      items: await this.queries.execute(new GetDestinationsQuery({ sourceId: q.sourceId })),
      nextCursor: null,
    };
  }

  @Get('destinations/:id')
  @ApiOkResponse({ type: DestinationResponseDto })
  async get(@Param('id') id: string) {
    const [d] = await this.queries.execute(new GetDestinationsQuery({ id }));
    if (!d) throw new NotFoundException(`destination ${id} not found`);
    return d;
  }

  @Patch('destinations/:id')
  @ApiOkResponse({ type: DestinationResponseDto })
  async update(@Param('id') id: string, @Body() dto: UpdateDestinationDto) {
    const d = await this.commands.execute(
      new UpdateDestinationCommand(id, {
        name: dto.name?.trim(),
        enabled: dto.enabled,
        settings: dto.settings,
        mapping: dto.mapping,
        filter: dto.filter ? { ...dto.filter } : undefined,
      }),
    );
    if (!d) throw new NotFoundException(`destination ${id} not found`);
    return d;
  }

  @Delete('destinations/:id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.commands.execute(new DeleteDestinationCommand(id)))) {
      throw new NotFoundException(`destination ${id} not found`);
    }
  }

  @Get('tracks')
  @ApiOkResponse({ type: TrackPageDto })
  tracks(@Query() q: ListTracksQueryDto) {
    const afterId = decodeCursor(q.cursor);
    if (afterId === 'invalid')
      throw new BadRequestException('cursor is not a cursor this API returned');
    return this.queries.execute(
      new ListTracksQuery(
        {
          destinationId: q.destinationId,
          eventId: q.eventId,
          status: q.status,
          from: dateOf(q.from),
          to: dateOf(q.to),
        },
        q.limit ?? 50,
        afterId,
      ),
    );
  }

  @Post('replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ReplayResponseDto })
  replay(@Body() dto: ReplayDto) {
    const from = dateOf(dto.from);
    const to = dateOf(dto.to);
    if (from && to && from > to) throw new BadRequestException('from must not be after to');
    return this.commands.execute(
      new ReplayCommand({
        trackIds: dto.trackIds,
        eventIds: dto.eventIds,
        destinationId: dto.destinationId,
        status: dto.status,
        from,
        to,
      }),
    );
  }
}
