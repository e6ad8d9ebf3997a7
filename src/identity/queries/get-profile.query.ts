import { Query } from '@nestjs/cqrs';
import type { ProfileView } from '../profile-view';

/**
 * A profile by id (a merged-away id answers with the surviving profile) or by one of its identities
 * (the value is normalised the same way as at resolution). Null when unknown. `accounts` is filled
 * by the accounts module through PROFILE_DETAIL_PARTS, not here.
 */
export class GetProfileQuery extends Query<ProfileView | null> {
  constructor(readonly by: { id: string } | { identity: { type: string; value: string } }) {
    super();
  }
}
