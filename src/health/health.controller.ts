import { InjectQueue } from '@nestjs/bull';
import { Controller, Get, HttpException } from '@nestjs/common';
import { ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { errorBody } from '../common/errors';
import { PIPELINE_QUEUE } from '../ingestion/pipeline/pipeline.constants';

const PROBE_TIMEOUT_MS = 1500;

async function probe(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(PIPELINE_QUEUE) private readonly queue: Queue,
  ) {}

  @Get()
  @ApiOkResponse({ description: 'MySQL and Redis answer' })
  @ApiResponse({ status: 503, description: 'Names what is down' })
  async health() {
    const [mysql, redis] = await Promise.all([
      probe(() => this.db.query('SELECT 1')),
      probe(() =>
        this.queue.client.status === 'ready'
          ? this.queue.client.ping()
          : Promise.reject(new Error()),
      ),
    ]);
    const checks = { mysql: mysql ? 'up' : 'down', redis: redis ? 'up' : 'down' };
    if (!mysql || !redis) {
      const down = [!mysql && 'MySQL', !redis && 'Redis'].filter(Boolean).join(' and ');
      throw new HttpException({ ...errorBody(503, `${down} unreachable`), checks }, 503);
    }
    return { status: 'ok', checks };
  }
}
