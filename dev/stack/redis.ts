/**
 * Redis: REDIS_URL if it answers, else 127.0.0.1:6379 if it answers PING, else a redis-server of
 * our own on a free port (no persistence, daemonized, its pid read from a pidfile).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { SluiceError } from '../../src/errors.js';
import { exec } from './cache.js';
import type { StackConfig } from './config.js';
import type { StackLog } from './log.js';
import { freePort } from './ports.js';
import { isAlive, tail, waitFor } from './processes.js';
import type { OwnedProcess } from './state.js';

/** True when the Redis at `url` (redis://[user:pass@]host:port) answers PING with PONG (or NOAUTH: it is a Redis). */
export function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  let u: URL;
  try { u = new URL(url); } catch { return Promise.resolve(false); }
  return new Promise((resolve) => {
    const sock = connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    let buf = '';
    const done = (ok: boolean): void => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => {
      const pass = decodeURIComponent(u.password);
      const user = decodeURIComponent(u.username);
      if (pass) sock.write(user ? `AUTH ${user} ${pass}\r\n` : `AUTH ${pass}\r\n`);
      sock.write('PING\r\n');
    });
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('+PONG')) done(true);
      else if (/^-(ERR|WRONGPASS|NOAUTH)/m.test(buf)) done(buf.includes('NOAUTH'));
    });
  });
}

export async function startRedis(cfg: StackConfig, log: StackLog, onSpawn: (p: OwnedProcess) => void): Promise<OwnedProcess> {
  const dir = join(cfg.stackDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const pidFile = join(dir, 'redis.pid');
  const logFile = join(dir, 'redis.log');
  writeFileSync(pidFile, '');
  await exec('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
    '--pidfile', pidFile, '--logfile', logFile, '--dir', dir], 'starting redis-server');
  const pid = await waitFor('the redis-server pidfile', 10_000, () => {
    const n = Number(readFileSync(pidFile, 'utf8').trim());
    return n > 0 && isAlive(n) ? n : undefined;
  }, 50);
  const endpoint = `redis://127.0.0.1:${port}`;
  // redis rewrites its process title to "redis-server 127.0.0.1:<port>"
  const proc: OwnedProcess = { pid, marker: `redis-server 127.0.0.1:${port}`, endpoint, ports: [port], log: logFile, startedAt: new Date().toISOString() };
  onSpawn(proc);
  await waitFor(`PONG from ${endpoint}`, 10_000, async () => ((await redisAnswers(endpoint)) ? true : undefined), 100).catch(() => {
    throw new SluiceError('STACK_START_FAILED', `redis-server on port ${port} does not answer PING; ${logFile}:\n${tail(logFile)}`, { service: 'redis' });
  });
  log(`redis: started redis-server pid ${pid} on ${endpoint}`);
  return proc;
}
