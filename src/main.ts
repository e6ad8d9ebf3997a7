import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ConfigError, loadConfig, runsHttp } from './config/configuration';
import { createHttpApp } from './http-app';
import { startWorkerMetricsServer } from './metrics/worker-metrics-server';
import { DataSource } from 'typeorm';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (!runsHttp(config.role)) {
    const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
      bufferLogs: true,
    });
    ctx.useLogger(ctx.get(Logger));
    ctx.enableShutdownHooks();
    if (config.metricsPort) {
      const server = await startWorkerMetricsServer(config.metricsPort, ctx.get(DataSource));
      process.once('SIGTERM', () => server.close());
      process.once('SIGINT', () => server.close());
    }
    ctx
      .get(Logger)
      .log(
        config.metricsPort
          ? `worker started; /metrics on :${config.metricsPort}`
          : 'worker started',
      );
    return;
  }
  const app = await createHttpApp(config);
  await app.listen(config.port);
  app.get(Logger).log(`listening on :${config.port} (role ${config.role})`);
}

void bootstrap();
