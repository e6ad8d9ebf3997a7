import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/common/database';
import { loadConfig } from './src/config/configuration';

/** The DataSource the TypeORM migration CLI uses (`npm run migration:run`). */
export default new DataSource({
  ...dataSourceOptions(loadConfig().databaseUrl),
  entities: ['src/**/*.entity.ts'],
});
