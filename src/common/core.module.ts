import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/configuration';
import { AdminGuard } from './admin.guard';

/** The validated configuration and the admin guard, for every module. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: APP_CONFIG, useValue: config }, AdminGuard],
      exports: [APP_CONFIG, AdminGuard],
    };
  }
}
