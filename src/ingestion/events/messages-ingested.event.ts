/** Published after the events are committed; only ids travel, the rows are the truth. */
export class MessagesIngested {
  constructor(
    readonly sourceId: string,
    readonly eventIds: string[],
  ) {}
}
