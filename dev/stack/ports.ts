/** Loopback TCP ports: is one free, find a free one, and a clear error when one is taken. */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { SluiceError } from '../../src/errors.js';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host }, () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Best effort: "java (pid 123)" for the listener on `port`, from `ss`; '' when unknown. */
function holder(port: number): string {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 });
    const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(out);
    return m ? `${m[1]} (pid ${m[2]})` : '';
  } catch {
    return '';
  }
}

/** Throws PORT_IN_USE naming the port, the service that wanted it and the variable that moves it. */
export async function assertPortFree(port: number, service: string, variable: string, hint = ''): Promise<void> {
  if (await isPortFree(port)) return;
  const who = holder(port);
  throw new SluiceError(
    'PORT_IN_USE',
    `port ${port} for ${service} is already in use${who ? ` by ${who}` : ''}, not by a process this stack started; ` +
      `stop it, or choose another port with ${variable}=<port>${hint}`,
    { port, service },
  );
}
