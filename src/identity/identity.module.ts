import { Module } from '@nestjs/common';
import { CommandHandlers } from './commands';
import { ProfilesController } from './profiles.controller';
import { QueryHandlers } from './queries';
import { IdentityResolver } from './resolution/identity-resolver';

/**
 * Profiles and the identity graph. Resolution runs as the first pipeline step in the worker; the
 * admin read side answers everywhere. Tables are reached with plain SQL: the batch statements
 * (multi-row upserts, CASE updates, FOR UPDATE in id order) are the point of the design.
 */
@Module({
  controllers: [ProfilesController],
  providers: [IdentityResolver, ...CommandHandlers, ...QueryHandlers],
})
export class IdentityModule {}
