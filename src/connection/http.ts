/**
 * HTTPS to the registry with a CA (or client certificate) of its own. Node's global fetch (undici)
 * takes no CA option and NODE_EXTRA_CA_CERTS is read only at process start, so requests that need
 * one go through node:https with an Agent that carries it; the registry client takes the same Agent.
 */
import { Agent, request } from 'node:https';
import type { TlsSettings } from './types.js';

export function tlsAgent(tls: TlsSettings): Agent {
  const { ca, cert, key, passphrase, servername } = tls;
  return new Agent({ keepAlive: true, ...defined({ ca, cert, key, passphrase, servername }) });
}

export const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

const NULL_BODY = new Set([101, 204, 205, 304]);

/** The subset of fetch that SchemaSource uses (method, headers, string body, signal), over `agent`. */
export function agentFetch(agent: Agent): typeof fetch {
  return ((input: string | URL, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      const req = request(input, { agent, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, signal: init.signal ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new TypeError('fetch failed', { cause: e })));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          resolve(new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage }));
        });
      });
      // as fetch does: a network or TLS failure is a TypeError whose cause says why
      req.on('error', (e) => reject(init.signal?.aborted ? init.signal.reason : new TypeError('fetch failed', { cause: e })));
      req.end(typeof init.body === 'string' ? init.body : undefined);
    })) as typeof fetch;
}
