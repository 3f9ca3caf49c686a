/**
 * `<stackDir>/state.json`: the processes this stack started (pid, ports, endpoint, marker).
 * Only what is listed here is ever stopped by `down`.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceName } from './config.js';
import { isOurs } from './processes.js';

export interface OwnedProcess {
  pid: number;
  /** A string in the process's command line that only our process has (guards against pid reuse). */
  marker: string;
  endpoint: string;
  ports: number[];
  log: string;
  startedAt: string;
}

export type StackState = Partial<Record<ServiceName, OwnedProcess>>;

const file = (stackDir: string): string => join(stackDir, 'state.json');

export function readState(stackDir: string): StackState {
  try {
    return JSON.parse(readFileSync(file(stackDir), 'utf8')) as StackState;
  } catch {
    return {};
  }
}

export function writeState(stackDir: string, state: StackState): void {
  mkdirSync(stackDir, { recursive: true });
  if (Object.keys(state).length === 0) {
    rmSync(file(stackDir), { force: true });
    return;
  }
  const tmp = `${file(stackDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file(stackDir));
}

/** Records (or with `undefined`, forgets) one service, re-reading the file so parallel starters do not clobber each other. */
export function updateState(stackDir: string, service: ServiceName, proc: OwnedProcess | undefined): void {
  const state = readState(stackDir);
  if (proc) state[service] = proc;
  else delete state[service];
  writeState(stackDir, state);
}

/** The recorded process of `service` if it is still running. */
export function runningOwned(stackDir: string, service: ServiceName): OwnedProcess | undefined {
  const p = readState(stackDir)[service];
  return p && isOurs(p.pid, p.marker) ? p : undefined;
}
