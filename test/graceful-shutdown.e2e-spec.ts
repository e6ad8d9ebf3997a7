import { Agent, request } from 'node:http';
import { spawnServer } from './support/server-process';
import { dropTestState, startTestApp, testConfig } from './support/test-app';

/** SIGTERM drains: a request in flight when the signal arrives is answered and stored. */
describe('SIGTERM', () => {
  const config = testConfig();
  afterAll(() => dropTestState(config));

  it('finishes the in-flight request, then exits', async () => {
    // Create the database and a source with an in-process app, then hand the database over.
    const setup = await startTestApp(config);
    const source = await setup.createSource();
    await setup.close({ keepDatabase: true });

    const server = await spawnServer(config);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { port } = new URL(server.url);
    const auth = `Basic ${Buffer.from(`${source.writeKey}:`).toString('base64')}`;
    const post = (body: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/v1/batch',
            method: 'POST',
            agent,
            headers: { Authorization: auth, 'Content-Type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });

    // Open the keep-alive connection first, so the big request is surely accepted before the signal.
    expect(
      (await post(JSON.stringify({ batch: [{ type: 'track', userId: 'w', event: 'Warm' }] })))
        .status,
    ).toBe(200);
    const batch = Array.from({ length: 2500 }, (_, i) => ({
      type: 'track',
      userId: `u${i}`,
      event: 'Drain',
      messageId: `drain-${i}`,
    }));
    const inFlight = post(JSON.stringify({ batch }));
    setTimeout(() => server.proc.kill('SIGTERM'), 15);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ accepted: 2500 });
    const exit = await server.exited;
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    agent.destroy();

    const check = await startTestApp(config);
    try {
      const list = await check.admin.get(
        `/admin/events?sourceId=${source.id}&event=Drain&limit=500`,
      );
      expect(list.body.items).toHaveLength(500);
      expect(list.body.nextCursor).not.toBeNull();
    } finally {
      await check.close({ keepDatabase: true });
    }
  });
});
