import fc from 'fast-check';
import { createConnection } from 'mysql2/promise';
import { basic, startTestApp, TestApp } from './support/test-app';

/**
 * Hostile input, property-based: whatever arrives, the answer is never a 500, every good message
 * is stored, and every bad one is rejected with a reason.
 */
describe('fuzzing the ingestion routes', () => {
  let t: TestApp;
  let source: { id: string; writeKey: string; publicKey: string };
  let db: Awaited<ReturnType<typeof createConnection>>;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp();
    source = await t.createSource();
    db = await createConnection({ uri: t.config.databaseUrl });
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const nasty = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.constantFrom<unknown>(
      Number.MAX_SAFE_INTEGER * 4,
      -1e308,
      '\ud800',
      'a\udc00b',
      '\u0000',
      '𝌆'.repeat(100),
      '',
      'x'.repeat(40_000),
    ),
    fc.dictionary(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'a'),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    fc.integer({ min: 25, max: 60 }).map((d) => {
      let v: unknown = 'deep';
      for (let i = 0; i < d; i++) v = i % 2 ? [v] : { k: v };
      return v;
    }),
  );

  /** A message that must be accepted, wrapped in hostile but legal extras. */
  const goodMessage = fc.record({
    properties: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), {
      maxKeys: 5,
    }),
    traits: fc.dictionary(
      fc.constantFrom('__proto__', 'constructor', 'email', 'n'),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    event: fc.string({ minLength: 1, maxLength: 100 }),
  });

  const badMessage = fc.oneof(
    nasty,
    fc.record(
      { type: nasty, userId: nasty, event: nasty, timestamp: nasty, context: nasty },
      { requiredKeys: [] },
    ),
  );

  const size = (v: unknown) => {
    try {
      return Buffer.byteLength(JSON.stringify(v) ?? '');
    } catch {
      return Infinity;
    }
  };

  it('answers 200 with every message accounted for, or a 4xx, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            goodMessage.map((m) => ({ good: true as const, m })),
            badMessage.map((m) => ({ good: false as const, m })),
          ),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        async (entries) => {
          const batch = entries.map((e) =>
            e.good ? { type: 'track', userId: 'fuzz', messageId: `fuzz-${++seq}`, ...e.m } : e.m,
          );
          const res = await t
            .http()
            .post('/v1/batch')
            .set('Authorization', basic(source.writeKey))
            .set('Content-Type', 'application/json')
            .send(JSON.stringify({ batch }));
          expect(res.status).toBeLessThan(500);
          if (res.status !== 200) {
            expect([400, 413]).toContain(res.status);
            expect(typeof res.body.message).toBe('string');
            return;
          }
          const { accepted, duplicates, rejected } = res.body;
          expect(accepted + duplicates + rejected.length).toBe(batch.length);
          for (const r of rejected) expect(r.errors.length).toBeGreaterThan(0);
          // Every good message that fits the size limit is stored.
          const goodIds = batch
            .filter((m, i) => entries[i].good && size(m) <= 32 * 1024)
            .map((m) => (m as { messageId: string }).messageId);
          if (goodIds.length) {
            const [rows] = await db.query('SELECT message_id FROM events WHERE message_id IN (?)', [
              goodIds,
            ]);
            expect((rows as unknown[]).length).toBe(goodIds.length);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('survives raw bytes: invalid UTF-8, truncated JSON, deep nesting', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
          fc.constant(
            Buffer.from('{"batch":[{"type":"track","userId":"\xff\xfe","event":"E"}]}', 'latin1'),
          ),
          fc.constant(
            Buffer.from(
              '{"batch":[{"type":"track","userId":"u","event":"E","properties":{"n":123456789012345678901234567890,"m":-1e999}}]}',
            ),
          ),
          fc
            .integer({ min: 1000, max: 100_000 })
            .map((d) => Buffer.from(`{"batch":${'['.repeat(d)}${']'.repeat(d)}}`)),
          fc.string().map((s) => Buffer.from(`{"batch":[${s}`)),
        ),
        async (body) => {
          const res = await t
            .http()
            .post('/v1/batch')
            .set('Authorization', basic(source.writeKey))
            .set('Content-Type', 'application/json')
            .send(body);
          expect(res.status).toBeLessThan(500);
          expect(res.body).toHaveProperty(res.status === 200 ? 'accepted' : 'message');
        },
      ),
      { numRuns: 60 },
    );
  });
});
