import type { IQuery } from '@nestjs/cqrs';
import { LinkAccountsCommand } from './accounts/commands/link-accounts.command';
import { ListProfileAccountsQuery } from './accounts/queries/list-profile-accounts.query';
import { ResolveIdentitiesCommand } from './identity/commands/resolve-identities.command';
import { FanOutDeliveriesCommand } from './destinations/commands/fan-out-deliveries.command';
import { ListTracksForEventQuery } from './destinations/queries/list-tracks-for-event.query';
import type { PipelineStep } from './ingestion/pipeline/pipeline-step';

/**
 * The stages every stored, non-bot event goes through in the worker, in order. Identity comes
 * before accounts (which links the resolved profile) and destinations (whose adapters read the
 * profile's email, phone and click ids).
 */
export const PIPELINE_STEPS: PipelineStep[] = [
  ResolveIdentitiesCommand,
  // Accounts after identity: it links the resolved profile.
  LinkAccountsCommand,
  // Destinations last: delivery reads what the steps before it resolved.
  FanOutDeliveriesCommand,
];

/** A field another module adds to an admin view, and the query that fills it for the view's id. */
export interface DetailPart {
  field: string;
  query: (id: string) => IQuery;
}

/** What other modules add to `GET /admin/events/{id}` (destinations: `tracks`). */
export const EVENT_DETAIL_PARTS: DetailPart[] = [
  { field: 'tracks', query: (id) => new ListTracksForEventQuery(id) },
];

/** What other modules add to `GET /admin/profiles/...` (accounts: `accounts`). */
export const PROFILE_DETAIL_PARTS: DetailPart[] = [
  { field: 'accounts', query: (id) => new ListProfileAccountsQuery(id) },
];
