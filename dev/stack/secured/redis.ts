/**
 * A Redis for the tests that takes TLS only (`--port 0 --tls-port`, https://redis.io/docs/latest/operate/oss_and_stack/management/security/encryption/)
 * and a password (`requirepass`), without persistence. Clients are not asked for a certificate.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { exec } from '../cache.js';
import { freePort } from '../ports.js';
import { isAlive, stopPid, waitFor } from '../processes.js';
import type { TestCerts } from './certs.js';

export interface SecuredRedis { url: string; password: string; pid: number; stop(): Promise<void> }

/** PONG over TLS with the password: the server is up and requires what we think. */
function pong(port: number, ca: string, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => sock.write(`AUTH ${password}\r\nPING\r\n`));
    const done = (ok: boolean): void => { sock.destroy(); resolve(ok); };
    let buf = '';
    sock.setTimeout(1500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('data', (d) => ((buf += d.toString()), buf.includes('+PONG') && done(true)));
  });
}

export async function startSecuredRedis(dir: string, certs: TestCerts): Promise<SecuredRedis> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const pidFile = join(dir, 'redis.pid');
  writeFileSync(pidFile, '');
  await exec('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey,
    '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no', '--requirepass', password, '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
    '--pidfile', pidFile, '--logfile', join(dir, 'redis.log'), '--dir', dir], 'starting the TLS redis-server');
  const pid = await waitFor('the TLS redis-server pidfile', 10_000, () => {
    const n = Number(readFileSync(pidFile, 'utf8').trim());
    return n > 0 && isAlive(n) ? n : undefined;
  }, 50);
  const ca = readFileSync(certs.ca, 'utf8');
  await waitFor(`PONG over TLS on ${port}`, 10_000, async () => ((await pong(port, ca, password)) ? true : undefined), 100);
  return { url: `rediss://127.0.0.1:${port}`, password, pid, stop: async () => void (await stopPid(pid)) };
}
