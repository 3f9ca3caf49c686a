/**
 * Child processes the stack owns: started detached with their output in a log file, recognised
 * later by pid *and* a marker in their command line (a recycled pid is never mistaken for ours),
 * stopped by pid only.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { isAlive } from '../../src/runtime/process-alive.js';

export { isAlive };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The command line of `pid` with NULs as spaces, or '' when it is gone or unreadable. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+/g, ' ').trim();
  } catch {
    return '';
  }
}

/** True when `pid` is alive and its command line contains `marker`. */
export const isOurs = (pid: number, marker: string): boolean => isAlive(pid) && commandLine(pid).includes(marker);

export interface Spawned { pid: number; exited: () => boolean }

/** Starts a process in its own session so it outlives this CLI; stdout and stderr go to `logFile`. */
export function spawnDetached(cmd: string, args: string[], opts: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv }): Spawned {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    let gone = false;
    child.on('exit', () => { gone = true; });
    child.on('error', () => { gone = true; });
    child.unref();
    return { pid: child.pid, exited: () => gone || !isAlive(child.pid!) };
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 15_000): Promise<'term' | 'kill' | 'gone'> {
  if (!isAlive(pid)) return 'gone';
  try { process.kill(pid, 'SIGTERM'); } catch { return 'gone'; }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'term';
    await sleep(100);
  }
  try { process.kill(pid, 'SIGKILL'); } catch { return 'term'; }
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'kill';
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The last `n` lines of a log file, for error messages. */
export function tail(file: string, n = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}
