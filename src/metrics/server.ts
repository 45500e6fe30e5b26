import type { Server } from 'node:http';
import { type Metric, renderMetrics } from './prometheus.js';

export interface MetricsServerOptions {
  port: number;
  /** Default 127.0.0.1: metrics are for the machine's own scraper, not the network. */
  host?: string;
  metrics: () => Metric[];
  /** undefined when healthy, else the reason; /healthz answers 503 with it. */
  unhealthy: () => string | undefined;
}

/** Serves GET /metrics (Prometheus text) and GET /healthz. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<Server> {
  // Loaded here, not at start-up: an agent without --metrics-port never holds Node's HTTP modules.
  const { createServer } = await import('node:http');
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405).end();
    } else if (path === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderMetrics(options.metrics()));
    } else if (path === '/healthz') {
      const problem = options.unhealthy();
      response.writeHead(problem ? 503 : 200, { 'content-type': 'text/plain' }).end(problem ? `unhealthy: ${problem}\n` : 'ok\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  server.unref();
  return server;
}
