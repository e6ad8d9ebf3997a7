import { createServer, Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { registry } from '../common/metrics';

/**
 * A worker has no HTTP API, but its deliveries are counted in its own process: this small server
 * lets Prometheus scrape them (`METRICS_PORT`) and an orchestrator probe the worker's database.
 */
export function startWorkerMetricsServer(port: number, db: DataSource): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({
              statusCode: 500,
              error: 'Internal Server Error',
              message: 'metrics failed',
            }),
          );
        },
      );
      return;
    }
    if (req.method === 'GET' && path === '/health') {
      db.query('SELECT 1').then(
        () => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ status: 'ok', role: 'worker' }));
        },
        () => {
          res.writeHead(503, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({
              statusCode: 503,
              error: 'Service Unavailable',
              message: 'MySQL unreachable',
            }),
          );
        },
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        statusCode: 404,
        error: 'Not Found',
        message: 'only /metrics and /health here',
      }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
