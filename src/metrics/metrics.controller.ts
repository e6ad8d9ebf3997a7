import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { registry } from '../common/metrics';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', registry.contentType)
  @ApiOkResponse({ description: 'Prometheus text exposition' })
  metrics(): Promise<string> {
    return registry.metrics();
  }
}
