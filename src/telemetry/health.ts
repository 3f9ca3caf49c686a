/**
 * The HTTP port of a replica: GET /metrics (Prometheus text), /healthz (the process runs),
 * /readyz (partitions assigned and restored). Without an explicit port it starts at 9464 and
 * takes the next free one, as Spark's UI does, so replicas on one host need no flags.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SluiceError } from '../errors.js';

export const DEFAULT_HEALTH_PORT = 9464;
const MAX_PORT_ATTEMPTS = 21; // the default port and the next 20

export interface HealthServerOptions {
  /** explicit port: taken → PORT_IN_USE; 0 → any free port */
  port?: number;
  host?: string;
  /** where the search starts when `port` is not given (tests use a random one) */
  defaultPort?: number;
  metrics: Registry;
  logger: Logger;
  ready: () => boolean;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const host = opts.host ?? '0.0.0.0';
  const server = createServer((req, res) => void handle(req, res, opts));
  // keep-alive connections of a scraper must not hold close() open
  server.keepAliveTimeout = 5_000;

  let port: number;
  if (opts.port !== undefined) {
    if (!(await listen(server, opts.port, host))) {
      throw new SluiceError('PORT_IN_USE', `port ${opts.port} on ${host} is already in use; choose another one with --port`, { port: opts.port, host });
    }
    port = boundPort(server);
  } else {
    const first = opts.defaultPort ?? DEFAULT_HEALTH_PORT;
    port = await listenOnFirstFree(server, first, host);
    if (port !== first) opts.logger.info({ port, taken: first }, `port ${first} is taken, using ${port}`);
  }
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  opts.logger.info({ port }, `metrics on http://${shown}:${port}/metrics, health on /healthz and /readyz`);

  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function listenOnFirstFree(server: Server, first: number, host: string): Promise<number> {
  for (let port = first; port < first + MAX_PORT_ATTEMPTS && port <= 65_535; port++) {
    if (await listen(server, port, host)) return port;
  }
  throw new SluiceError(
    'PORT_IN_USE',
    `ports ${first}-${first + MAX_PORT_ATTEMPTS - 1} on ${host} are all in use; choose a free one with --port`,
    { port: first, host },
  );
}

/** true when bound; false when the port is taken; other errors (EACCES, bad host) are thrown */
function listen(server: Server, port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') resolve(false);
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function boundPort(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new SluiceError('INTERNAL', 'health server has no TCP address');
  return address.port;
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: HealthServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  try {
    switch (path) {
      case '/metrics':
        return send(res, 200, await opts.metrics.metrics(), { 'content-type': opts.metrics.contentType });
      case '/healthz':
        return send(res, 200, 'ok\n');
      case '/readyz':
        return isReady(opts.ready) ? send(res, 200, 'ready\n') : send(res, 503, 'not ready\n');
      default:
        return send(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
    }
  } catch (err) {
    opts.logger.warn({ err, path }, 'health endpoint failed');
    send(res, 500, 'internal error\n');
  }
}

function isReady(ready: () => boolean): boolean {
  try {
    return ready();
  } catch {
    return false;
  }
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
