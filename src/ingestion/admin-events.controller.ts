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
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../common/admin.guard';
import { decodeCursor } from '../common/pagination';
import { ListEventsQueryDto, ListRejectedQueryDto } from './dto/admin-events.dto';
import { GetEventsByIdsQuery } from './queries/get-events-by-ids.query';
import { ListEventsQuery } from './queries/list-events.query';
import { ListRejectedEventsQuery } from './queries/list-rejected-events.query';
import { EVENT_DETAIL_PARTS } from '../app.pipeline';

function cursorOf(cursor: string | undefined): string | null {
  const id = decodeCursor(cursor);
  if (id === 'invalid') throw new BadRequestException('cursor is not a cursor this API returned');
  return id;
}

const dateOf = (v: string | undefined): Date | undefined => (v ? new Date(v) : undefined);

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin')
export class AdminEventsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('events')
  events(@Query() q: ListEventsQueryDto) {
    return this.queries.execute(
      new ListEventsQuery(
        {
          sourceId: q.sourceId,
          type: q.type,
          event: q.event,
          userId: q.userId,
          anonymousId: q.anonymousId,
          profileId: q.profileId,
          from: dateOf(q.from),
          to: dateOf(q.to),
        },
        q.limit ?? 50,
        cursorOf(q.cursor),
      ),
    );
  }

  @Get('events/:id')
  async event(@Param('id') id: string) {
    const [event] = await this.queries.execute(new GetEventsByIdsQuery([id]));
    if (!event) throw new NotFoundException(`event ${id} not found`);
    const parts = await Promise.all(
      EVENT_DETAIL_PARTS.map(
        async (p) => [p.field, await this.queries.execute(p.query(id))] as const,
      ),
    );
    return { ...event, ...Object.fromEntries(parts) };
  }

  @Get('rejected-events')
  rejected(@Query() q: ListRejectedQueryDto) {
    return this.queries.execute(
      new ListRejectedEventsQuery(
        { sourceId: q.sourceId, from: dateOf(q.from), to: dateOf(q.to) },
        q.limit ?? 50,
        cursorOf(q.cursor),
      ),
    );
  }
}
