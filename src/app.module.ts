import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AccountsModule } from './accounts/accounts.module';
import { CoreModule } from './common/core.module';
import { DataSource } from 'typeorm';
import { dataSourceOptions, ensureDatabase, migrateWithLock } from './common/database';
import { loggerParams } from './common/logging';
import { AppConfig, appConfigNamespace } from './config/configuration';
import { DestinationsModule } from './destinations/destinations.module';
import { HealthModule } from './health/health.module';
import { IdentityModule } from './identity/identity.module';
import { IngestionModule } from './ingestion/ingestion.module';
import { MetricsModule } from './metrics/metrics.module';
import { SourcesModule } from './sources/sources.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [appConfigNamespace(config)],
        }),
        CoreModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config.logLevel)),
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            await ensureDatabase(config.databaseUrl);
            return {
              ...dataSourceOptions(config.databaseUrl),
              autoLoadEntities: true,
              retryAttempts: 3,
              retryDelay: 1000,
            };
          },
          dataSourceFactory: async (options) => {
            const ds = await new DataSource(options!).initialize();
            await migrateWithLock(ds);
            return ds;
          },
        }),
        BullModule.forRoot({ url: config.redisUrl, prefix: config.redisPrefix }),
        CqrsModule.forRoot(),
        SourcesModule,
        IngestionModule.register(config.role),
        IdentityModule,
        AccountsModule,
        DestinationsModule.register(config.role),
        HealthModule,
        MetricsModule,
      ],
    };
  }
}
