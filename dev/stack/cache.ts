/**
 * Downloads cached outside git (default ~/.cache/sluice): each entry is built in a temporary
 * folder and renamed into place, so an interrupted build is never mistaken for a complete one.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SluiceError } from '../../src/errors.js';

const run = promisify(execFile);

/** Returns `dir`, building it with `build(tmpDir)` first unless a complete copy is there. */
export async function ensureCached(dir: string, build: (tmp: string) => Promise<void>): Promise<{ dir: string; built: boolean }> {
  if (existsSync(join(dir, '.complete'))) return { dir, built: false };
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await build(tmp);
    writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir, built: true };
}

/** Runs a command, turning a failure into STACK_START_FAILED with its output. */
export async function exec(cmd: string, args: string[], what: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { ...opts, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new SluiceError('STACK_START_FAILED', `${what} failed: ${cmd} ${args.join(' ')}\n${out || err.message}`, {}, { cause: e });
  }
}

/** `mvn -B -q` with the dependency plugin pinned, so the first run does not depend on the installed default. */
export const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
export const mvn = (args: string[], what: string): Promise<string> => exec('mvn', ['-B', '-q', ...args], what);
