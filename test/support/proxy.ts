/**
 * A TCP forwarder that can be down: a service "unreachable" on its port until `up()`, without
 * stopping the real one that other tests share. Kafka clients only bootstrap through it (the
 * broker advertises its own address), which is what startup needs.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '../../dev/stack/ports.js';

export interface Proxy { port: number; url(scheme: string, path?: string): string; up(): Promise<void>; down(): Promise<void> }

export async function tcpProxy(target: { host: string; port: number }): Promise<Proxy> {
  const port = await freePort();
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    port,
    url: (scheme, path = '') => `${scheme}://127.0.0.1:${port}${path}`,
    async up() {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s)).on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
    async down() {
      for (const s of sockets) s.destroy();
      if (server) await new Promise((r) => server!.close(r));
      server = undefined;
    },
  };
}

/** host and port of `http://host:port/...`, `redis://host:port` or `host:port`. */
export function hostPort(address: string): { host: string; port: number } {
  const u = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: u.hostname, port: Number(u.port) };
}
