import fc from 'fast-check';
import { createConnection } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { startTestApp, TestApp } from './support/test-app';

const BROWSER_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
/** The body limit of `/e` (one message). */
const LIMIT = 32 * 1024;

/** Content types browsers, beacons and scripts send; the route reads the bytes whatever they say. */
const contentType = fc.constantFrom<string | undefined>(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'text/plain;charset=UTF-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/json; charset=latin1',
  'image/gif',
  '*/*',
  'garbage;;;=',
);

const deep = (depth: number, leaf: unknown = 'deep'): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
};

/** Legal but unpleasant values for `data`. */
const hostile = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>(
    2 ** 53 + 1,
    Number.MAX_SAFE_INTEGER * 4,
    -1e308,
    1e308,
    '\ud800',
    'a\udc00b',
    '\u0000',
    '𝌆'.repeat(100),
    '',
    'x'.repeat(8000),
  ),
  fc.integer({ min: 1, max: 20 }).map((d) => deep(d)),
  fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

const dataObject = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'polluted')),
  hostile,
  { maxKeys: 6 },
);

/**
 * Hostile input on the public browser endpoint, property-based: whatever arrives, never a 500 and
 * never a crash; a good hit is stored (202), a bad one is refused with a 4xx naming the field.
 * Every request comes from its own X-Forwarded-For address (TRUST_PROXY defaults to loopback), so the
 * per-IP rate limit stays out of the way.
 */
describe('fuzzing /e/{publicKey}', () => {
  let t: TestApp;
  let source: { id: string; publicKey: string };
  let db: Awaited<ReturnType<typeof createConnection>>;
  const run = randomBytes(3).toString('hex');
  let seq = 0;
  let ipSeq = 0;
  /** Hits refused for a field (not for the body as a whole): each is kept in rejected_events. */
  let fieldRejections = 0;

  beforeAll(async () => {
    t = await startTestApp();
    source = await t.createSource();
    db = await createConnection({ uri: t.config.databaseUrl });
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const nextIp = () => {
    const n = ++ipSeq;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  };

  /** Raw bytes over fetch: supertest would re-serialise a Buffer according to its content type. */
  const send = async (body: string | Buffer, type?: string, key = source.publicKey) => {
    const headers: Record<string, string> = {
      'User-Agent': BROWSER_UA,
      'X-Forwarded-For': nextIp(),
    };
    if (type) headers['Content-Type'] = type;
    const res = await fetch(`${t.url}/e/${encodeURIComponent(key)}`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { unparsable: text.slice(0, 200) };
    }
    return { status: res.status, body: parsed };
  };

  const expectErrorBody = (res: { status: number; body: any }) => {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body).toMatchObject({ statusCode: res.status, error: expect.any(String) });
    expect(typeof res.body.message).toBe('string');
  };

  const storedAt = async (path: string): Promise<number> => {
    const [rows] = await db.query(
      `SELECT COUNT(*) AS n FROM events WHERE source_id = ?
         AND JSON_UNQUOTE(JSON_EXTRACT(context, '$.page.path')) = ?`,
      [source.id, path],
    );
    return Number((rows as Array<{ n: number }>)[0].n);
  };

  const rejectedCount = async (): Promise<number> => {
    const [rows] = await db.query('SELECT COUNT(*) AS n FROM rejected_events WHERE source_id = ?', [
      source.id,
    ]);
    return Number((rows as Array<{ n: number }>)[0].n);
  };

  /** A hit that must be accepted; its url path is unique so the stored row can be found. */
  const goodHit = fc
    .record(
      {
        type: fc.constantFrom('pageview', 'event'),
        name: fc.string({ minLength: 1, maxLength: 255 }),
        referrer: fc.oneof(fc.webUrl(), fc.string({ maxLength: 300 }), fc.constant(null)),
        title: fc.oneof(fc.string({ maxLength: 1000 }), fc.constant(null)),
        data: fc.oneof(dataObject, fc.constant(null)),
        query: fc.oneof(
          fc.constant(''),
          fc.constant('?utm_source=fz&gclid=abc&tk_aid=not-a-uuid'),
          fc.webQueryParameters().map((q) => `?${q}`),
        ),
        absolute: fc.boolean(),
      },
      { requiredKeys: ['type', 'query', 'absolute'] },
    )
    .map(({ query, absolute, ...hit }) => {
      const path = `/fz/${run}/${++seq}`;
      const body: Record<string, unknown> = {
        ...hit,
        url: `${absolute ? 'https://shop.example' : ''}${path}${query}`,
      };
      if (hit.type === 'event' && !hit.name) body.name = 'Clicked';
      return { body, path };
    });

  const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

  it('stores every good hit, however hostile its data', async () => {
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(goodHit, contentType, async ({ body, path }, type) => {
        const res = await send(JSON.stringify(body), type);
        if (size(body) > LIMIT) {
          expect(res.status).toBe(413);
          expect(res.body.message).toMatch(/body/);
          return;
        }
        expect({ status: res.status, body: res.body }).toEqual({
          status: 202,
          body: { success: true },
        });
        expect(await storedAt(path)).toBe(1);
        stored++;
      }),
      { numRuns: 150 },
    );
    expect(stored).toBeGreaterThan(100);
    // JSON keys such as __proto__ stay data: nothing leaked onto the shared prototype.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  /** One field of a good hit broken in a known way, and the field the answer must name. */
  const badHit = fc
    .tuple(
      goodHit,
      fc.oneof(
        fc.record({
          field: fc.constant('type'),
          value: fc.oneof(fc.jsonValue(), fc.constant(undefined)),
        }),
        fc.record({
          field: fc.constant('url'),
          value: fc.oneof(
            fc.constantFrom<unknown>(
              undefined,
              null,
              '',
              'javascript:alert(1)',
              'ftp://shop.example/x',
              'not a url',
              `/${'a'.repeat(8200)}`,
              ['/x'],
              { href: '/x' },
              42,
              true,
            ),
          ),
        }),
        fc.record({
          field: fc.constant('name'),
          value: fc.constantFrom<unknown>(7, ['n'], { n: 1 }, false, 'n'.repeat(256)),
        }),
        fc.record({
          field: fc.constant('data'),
          value: fc.oneof(
            fc.constantFrom<unknown>([], [1, 2], 'text', 3, true),
            fc.integer({ min: 35, max: 400 }).map((d) => deep(d)),
          ),
        }),
        fc.record({
          field: fc.constant('referrer'),
          value: fc.constantFrom<unknown>(
            1,
            ['r'],
            { r: 1 },
            `https://r.example/${'r'.repeat(8200)}`,
          ),
        }),
        fc.record({
          field: fc.constant('title'),
          value: fc.constantFrom<unknown>(1, ['t'], { t: 1 }),
        }),
      ),
      contentType,
    )
    .filter(([, m]) => m.field !== 'type' || (m.value !== 'pageview' && m.value !== 'event'));

  it('refuses every bad hit with a 4xx naming the field, and keeps it with its reason', async () => {
    await fc.assert(
      fc.asyncProperty(badHit, async ([{ body, path }, { field, value }, type]) => {
        const hit = { ...body };
        if (value === undefined) delete hit[field];
        else hit[field] = value;
        const res = await send(JSON.stringify(hit), type);
        expectErrorBody(res);
        if (size(hit) > LIMIT) {
          expect(res.status).toBe(413);
          expect(res.body.message).toMatch(/body/);
        } else {
          expect(res.status).toBe(400);
          expect(res.body.message).toContain(field);
          fieldRejections++;
        }
        expect(await storedAt(path)).toBe(0);
      }),
      { numRuns: 150 },
    );
    const missingName = await send(JSON.stringify({ type: 'event', url: '/fz/no-name' }));
    expect(missingName.status).toBe(400);
    expect(missingName.body.message).toContain('name');
    fieldRejections++;
    expect(await rejectedCount()).toBe(fieldRejections);
  });

  it('accepts data nested as deep as a message may be, and names data one level deeper', async () => {
    // The message nests at most 30 levels; data sits one level down (as properties).
    for (const type of ['pageview', 'event']) {
      const atLimit = `/fz/${run}/depth-ok-${type}`;
      const ok = await send(
        JSON.stringify({ type, name: 'Deep', url: atLimit, data: { k: deep(28) } }),
      );
      expect(ok.status).toBe(202);
      expect(await storedAt(atLimit)).toBe(1);
      const over = await send(
        JSON.stringify({ type, name: 'Deep', url: `/fz/${run}/depth-over`, data: { k: deep(29) } }),
      );
      expect(over.status).toBe(400);
      expect(over.body.message).toBe('data nests deeper than 29 levels');
      fieldRejections++;
    }
    expect(await rejectedCount()).toBe(fieldRejections);
  });

  it('survives raw bytes: invalid UTF-8, big numbers, proto keys, deep nesting, junk', async () => {
    const good = (extra: string) =>
      `{"type":"event","name":"Raw","url":"/fz/${run}/raw/${++seq}"${extra}}`;
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }).map((a) => ({ body: Buffer.from(a), stored: false })),
      fc
        .string()
        .map((s) => ({ body: Buffer.from(`{"type":"event","url":"/x",${s}`), stored: false })),
      fc.integer({ min: 100, max: 10_000 }).map((d) => ({
        body: Buffer.from(`{"data":${'['.repeat(d)}${']'.repeat(d)}}`),
        stored: false,
      })),
      fc.constantFrom('[]', 'null', '"pageview"', '42', 'true', '', ' ', '{', '{}').map((s) => ({
        body: Buffer.from(s),
        stored: false,
      })),
      // Accepted: invalid UTF-8 inside a string (read as U+FFFD), numbers beyond 2^53 and beyond
      // double range, prototype keys at every level.
      fc.constant(0).map(() => ({
        body: Buffer.concat([
          Buffer.from(good(',"data":{"s":"').slice(0, -1)),
          Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
          Buffer.from('"}}'),
        ]),
        stored: true,
      })),
      fc.constant(0).map(() => ({
        body: Buffer.from(
          good(
            ',"data":{"n":123456789012345678901234567890,"m":-1e999,"k":9007199254740993,"f":1e-400}',
          ),
        ),
        stored: true,
      })),
      fc.constant(0).map(() => ({
        body: Buffer.from(
          good(
            ',"__proto__":{"type":"pageview","polluted":1},"constructor":{"prototype":{"polluted":1}},"data":{"__proto__":{"polluted":1},"constructor":{"name":"x"}}',
          ),
        ),
        stored: true,
      })),
    );
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(bodies, contentType, async ({ body, stored }, type) => {
        const res = await send(body, type);
        if (stored) {
          expect({ status: res.status, body: res.body }).toEqual({
            status: 202,
            body: { success: true },
          });
          accepted++;
        } else {
          expectErrorBody(res);
        }
      }),
      { numRuns: 120 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const [rows] = await db.query(
      `SELECT COUNT(*) AS n FROM events WHERE source_id = ? AND event = 'Raw'`,
      [source.id],
    );
    expect(Number((rows as Array<{ n: number }>)[0].n)).toBe(accepted);
  });

  it('answers unknown or absurd public keys with 404, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ minLength: 1, maxLength: 300 }), fc.constantFrom('..', '%00', 'ü')),
        async (key) => {
          const res = await send('{"type":"pageview","url":"/x"}', 'application/json', key);
          expectErrorBody(res);
          if (key !== source.publicKey) expect([404, 400]).toContain(res.status);
        },
      ),
      { numRuns: 60 },
    );
    expect((await t.http().get('/health')).status).toBe(200);
  });
});
