import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
  at: number;
}

/** What the fake answers: a status (and headers/body), `hang` (never answers) or `drop` (resets the socket). */
export type Reply =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { hang: true }
  | { drop: true };

export type Responder = (req: Received, all: Received[]) => Reply | Promise<Reply>;

/** A platform on 127.0.0.1 that records every request and answers as the test says. */
export class FakePlatform {
  readonly received: Received[] = [];
  responder: Responder = () => ({ status: 200, body: { ok: true } });
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(responder?: Responder): Promise<FakePlatform> {
    let fake: FakePlatform | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void fake?.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakePlatform(server, `http://127.0.0.1:${port}`);
    if (responder) fake.responder = responder;
    return fake;
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const r: Received = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      json,
      at: Date.now(),
    };
    this.received.push(r);
    const reply = await this.responder(r, this.received);
    if ('hang' in reply) {
      this.hanging.add(res);
      return;
    }
    if ('drop' in reply) {
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status, { 'Content-Type': 'application/json', ...(reply.headers ?? {}) });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
