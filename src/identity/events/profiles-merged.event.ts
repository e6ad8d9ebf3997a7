/**
 * Profiles that existed before were merged into a surviving one (published after the commit). Other
 * modules keyed by profile id (accounts' links, for example) move what they hold to `into`.
 */
export class ProfilesMerged {
  constructor(
    readonly into: string,
    readonly from: string[],
    /** The stored event whose message caused the merge. */
    readonly eventId: string,
  ) {}
}
