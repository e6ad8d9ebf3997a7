import { pool, postBatch, webhookCluster } from './support/cluster';
import { eventually } from './support/test-app';

const BATCHES = 100;
const BATCH = 30;
/** Answers from the first API before it is killed; the rest of the in-flight requests die with it. */
const KILL_AFTER = 25;

type Outcome =
  | { answered: true; status: number; body: { accepted: number; duplicates: number } | null }
  | { answered: false; error: string };

/**
 * An API process killed with SIGKILL while it receives many batches at once: every batch it answered
 * 200 is in MySQL and gets delivered; every batch it did not answer, retried by the client against
 * the other API, ends up stored exactly once (whatever part the dead process had committed is
 * acknowledged as duplicates), and delivered too: the worker's sweeper enqueues what the dead
 * process committed but never handed to the queue.
 */
describe('fault: an api process killed with SIGKILL mid-batch', () => {
  const rig = webhookCluster({ apis: 2, workers: 1 });

  it('loses no acknowledged batch, and retries store exactly once', async () => {
    const { cluster, fake } = rig;
    const [apiA, apiB] = cluster.apis;
    const { source, dest } = await rig.createWebhookSource('kill hook', 'kill-secret');
    expect(dest.status).toBe(201);

    const batches = Array.from({ length: BATCHES }, (_, b) =>
      Array.from({ length: BATCH }, (_, i) => ({
        type: 'track',
        event: 'Killed',
        userId: `user-${(b * BATCH + i) % 50}`,
        messageId: `kill-${b}-${i}`,
      })),
    );
    const post = async (api: string, batch: object[]): Promise<Outcome> => {
      let res: Response;
      try {
        res = await postBatch(api, source.writeKey, batch);
      } catch (err) {
        return { answered: false, error: String((err as { cause?: unknown }).cause ?? err) };
      }
      // A status line was received: for a 200 that is an acknowledgement, even if the body is cut.
      const body = await res.json().catch(() => null);
      return { answered: true, status: res.status, body };
    };

    let answeredByA = 0;
    let killedAt = -1;
    const first = await pool(
      24,
      batches.map((batch) => async () => {
        const outcome = await post(apiA.url, batch);
        if (outcome.answered && ++answeredByA === KILL_AFTER) {
          killedAt = answeredByA;
          apiA.proc.kill('SIGKILL');
        }
        return outcome;
      }),
    );
    const exit = await apiA.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(killedAt).toBe(KILL_AFTER);

    // A 500 would be a bug whatever the timing; anything else unanswered is retried below.
    for (const o of first) if (o.answered) expect(o.status).not.toBe(500);
    const acked = first.flatMap((o, b) => (o.answered && o.status === 200 ? [b] : []));
    const unanswered = first.flatMap((o, b) => (o.answered && o.status === 200 ? [] : [b]));
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER);
    // Requests were in flight at the kill: the dead process never answered them.
    expect(unanswered.length).toBeGreaterThan(0);

    // Acknowledged means durable: every message of every 200 is in MySQL right now.
    const ackedIds = acked.flatMap((b) => batches[b].map((m) => m.messageId));
    const storedNow = await cluster.sql<{ message_id: string }>(
      'SELECT message_id FROM events WHERE source_id = ? AND message_id IN (?)',
      [source.id, ackedIds],
    );
    expect(storedNow.length).toBe(ackedIds.length);
    // A statement the dead process had already sent still runs to its end inside MySQL: wait until
    // the row count stops moving before taking it as what the dead process committed.
    const countRows = async () =>
      Number(
        (
          await cluster.sql<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE source_id = ?', [
            source.id,
          ])
        )[0].n,
      );
    let previous = -1;
    const { n: storedBeforeRetry } = await eventually(
      async () => {
        const n = await countRows();
        const settled = n === previous;
        previous = n;
        return settled ? { n } : null;
      },
      { intervalMs: 1000, what: 'the row count to settle after the kill' },
    );
    // What the dead process committed without answering (it may be nothing, or whole batches).
    const committedUnacked = Number(storedBeforeRetry) - ackedIds.length;
    // Rows the dead process committed but never handed to the queue: the worker's sweeper's job.
    const [{ n: undispatched }] = await cluster.sql<{ n: number }>(
      'SELECT COUNT(*) AS n FROM events WHERE source_id = ? AND dispatched_at IS NULL',
      [source.id],
    );

    // The client retries everything unanswered against the surviving API.
    let retryDuplicates = 0;
    await pool(
      8,
      unanswered.map((b) => async () => {
        const o = await post(apiB.url, batches[b]);
        expect(o).toMatchObject({ answered: true, status: 200 });
        const body = (o as { body: { accepted: number; duplicates: number } }).body;
        expect(body.accepted + body.duplicates).toBe(BATCH);
        retryDuplicates += body.duplicates;
      }),
    );
    // Only what the dead process had committed comes back as a duplicate, all of it.
    expect(retryDuplicates).toBe(committedUnacked);

    // Exactly one row per messageId, none missing.
    const [counts] = await cluster.sql<{ n: number; d: number }>(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT message_id) AS d FROM events WHERE source_id = ?',
      [source.id],
    );
    expect([Number(counts.n), Number(counts.d)]).toEqual([BATCHES * BATCH, BATCHES * BATCH]);

    // Everything is delivered, including rows the dead process committed but never enqueued.
    const all = new Set(batches.flat().map((m) => m.messageId));
    await rig.allDelivered(all, `all ${all.size} events at the webhook`);
    const tracks = await rig.settledTracks();
    expect(tracks.succeeded).toBe(all.size);
    const received = fake.on('/hook');
    expect(new Set(received.map((r) => r.json.messageId))).toEqual(all);
    const duplicateDeliveries = received.length - all.size;
    expect(duplicateDeliveries).toBeLessThanOrEqual((tracks.failed ?? 0) + (tracks.dead ?? 0));

    process.stdout.write(
      `kill-api: ${acked.length} batches acknowledged before/around the kill, ${unanswered.length} unanswered ` +
        `(${first.filter((o) => !o.answered).length} connection errors); ${committedUnacked} messages committed ` +
        `but unacknowledged, ${retryDuplicates} duplicates counted on retry; ${undispatched} rows left undispatched ` +
        `by the kill; ${duplicateDeliveries} duplicate deliveries\n`,
    );
  }, 180_000);
});
