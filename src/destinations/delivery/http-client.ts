import http from 'node:http';
import https from 'node:https';
import type { HttpResponse, OutgoingRequest } from '../adapters/adapter';

/** Kept-alive connections per platform host: delivery is many small requests to few hosts. */
const agents = {
  'http:': new http.Agent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    scheduling: 'lifo',
  }),
  'https:': new https.Agent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    scheduling: 'lifo',
  }),
};

/** What is kept of a response body. */
const MAX_BODY = 64 * 1024;

/**
 * Sends one request; resolves with any HTTP status, rejects on network errors and on the timeout
 * (which covers connecting, sending and reading the whole response).
 */
export function sendRequest(
  req: Pick<OutgoingRequest, 'method' | 'url' | 'headers' | 'body'>,
  timeoutMs: number,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      reject(new Error(`invalid URL`));
      return;
    }
    const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (!mod) {
      reject(new Error(`unsupported protocol ${url.protocol}`));
      return;
    }
    const body = Buffer.from(req.body);
    const r = mod.request(
      url,
      {
        method: req.method,
        agent: agents[url.protocol as 'http:' | 'https:'],
        headers: { ...req.headers, 'Content-Length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY),
          });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      },
    );
    const timer = setTimeout(
      () => r.destroy(new Error(`timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    r.end(body);
  });
}
