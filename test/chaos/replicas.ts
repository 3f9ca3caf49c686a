/**
 * Replicas as child processes (`node bin/sluice.js run <topology> --port 0`), kept at a target
 * count like a supervisor would: a replica that exits (SIGKILLed, crashed, killed itself at a
 * crash point) is restarted after a second in the same slot. Each instance logs JSON to its own
 * files; its stderr tells whether it died at an injected crash point. Slot A runs as a static group
 * member (`--instance-id`, as a pod of the Kubernetes pack: its restarts take its place back at
 * once), the others as dynamic members: both kinds in one group, under every fault.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { track, untrack } from './processes.js';

export interface Instance {
  slot: string;
  n: number;
  name: string;
  pid: number;
  child: ChildProcess;
  log: string;
  err: string;
  spawnedAt: number;
  /** Why this instance was started: 'initial', 'scale-up', or the reason its predecessor ended. */
  cause: string;
  faults: string | undefined;
  exit?: { code: number | null; signal: NodeJS.Signals | null; at: number; crashPoint?: string; expected: boolean };
  exited: Promise<void>;
  /** Ended on purpose (scale-down, final stop, harness SIGKILL): an exit is not unexpected. */
  ending?: 'term' | 'kill';
  stopped?: boolean;
}

/** How a replica ended on SIGTERM; alreadyExited: it had died before (a SIGKILL just before a scale-down), no SIGTERM was sent. */
export interface Stopped { name: string; code: number | null; signal: string | null; alreadyExited?: boolean; /** SIGTERM to exit. */ ms?: number }

export interface LogLine { time: number; msg: string; level: number; [k: string]: unknown }

export interface SupervisorOptions {
  repoRoot: string;
  topologyFile: string;
  logDir: string;
  env: Record<string, string>;
  /** SLUICE_FAULTS for the next instance started (undefined: no crash points). */
  faults: () => string | undefined;
  onExit: (i: Instance) => void;
  note: (line: string) => void;
  /**
   * Each instance runs with its own `--state-dir <stateDirs>/<name>`, removed when it exits: a
   * replica that replaces a dead one finds none of its files (a container whose disk is gone).
   */
  stateDirs?: string;
}

export class Supervisor {
  readonly instances: Instance[] = [];
  private readonly slots = new Map<string, Instance>();
  private shuttingDown = false;

  constructor(private readonly opts: SupervisorOptions) {}

  /** Current instance of each active slot. */
  live(): Instance[] {
    return [...this.slots.values()];
  }

  /** Alive and not being killed (a SIGKILL's exit event comes a moment after the kill). */
  running(): Instance[] {
    return this.live().filter((i) => !i.exit && i.ending !== 'kill');
  }

  start(cause: string, slot: string): Instance {
    const n = this.instances.filter((i) => i.slot === slot).length + 1;
    const base = join(this.opts.logDir, `replica-${slot}-${n}`);
    const faults = this.opts.faults();
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.opts.env, LOG_FORMAT: 'json', KAFKAJS_NO_PARTITIONER_WARNING: '1' };
    delete env.SLUICE_FAULTS;
    if (faults) env.SLUICE_FAULTS = faults;
    const out = openSync(`${base}.log`, 'a');
    const err = openSync(`${base}.err`, 'a');
    let child: ChildProcess;
    const stateDir = this.opts.stateDirs && join(this.opts.stateDirs, `${slot}${n}`);
    if (stateDir) mkdirSync(stateDir, { recursive: true });
    const args = [...(stateDir ? ['--state-dir', stateDir] : []), ...(slot === 'A' ? ['--instance-id', 'chaos-A'] : [])];
    try {
      child = spawn(process.execPath, [join(this.opts.repoRoot, 'bin/sluice.js'), 'run', this.opts.topologyFile, '--port', '0', ...args], { cwd: this.opts.repoRoot, env, stdio: ['ignore', out, err] });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const i: Instance = { slot, n, name: `${slot}${n}`, pid: child.pid!, child, log: `${base}.log`, err: `${base}.err`, spawnedAt: Date.now(), cause, faults, exited: Promise.resolve() };
    track(i.pid, `replica ${i.name}`);
    i.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        untrack(i.pid);
        if (stateDir) rmSync(stateDir, { recursive: true, force: true }); // its disk goes with it
        const m = /fault injection: SIGKILL at (\S+)/.exec(safeRead(i.err));
        i.exit = { code, signal, at: Date.now(), crashPoint: m?.[1], expected: i.ending !== undefined };
        this.opts.note(`replica ${i.name} (pid ${i.pid}) exited code=${code} signal=${signal}${m ? ` at crash point ${m[1]}` : ''}${i.ending ? ` (${i.ending} by the harness)` : ''}`);
        this.opts.onExit(i);
        resolve();
        if (this.slots.get(slot) === i && i.ending !== 'term' && !this.shuttingDown) {
          const why = m ? `crash point ${m[1]}` : i.ending === 'kill' ? 'SIGKILL (random)' : `exit ${code ?? signal}`;
          setTimeout(() => {
            if (this.slots.get(slot) === i && !this.shuttingDown) this.start(why, slot);
          }, 1000);
        }
      });
    });
    this.slots.set(slot, i);
    this.instances.push(i);
    this.opts.note(`replica ${i.name} started (pid ${i.pid}, ${cause}${faults ? `, SLUICE_FAULTS=${faults}` : ''})`);
    return i;
  }

  /** Scales to `n` slots: new slots start, surplus ones get SIGTERM; resolves with the exit codes of those stopped. */
  async scaleTo(n: number): Promise<Stopped[]> {
    const names = 'ABCDEFGH';
    for (let k = 0; k < n; k++) if (!this.slots.has(names[k]!)) this.start('scale-up', names[k]!);
    const surplus = [...this.slots.keys()].filter((s) => names.indexOf(s) >= n);
    return Promise.all(surplus.map((s) => this.retire(s)));
  }

  private async retire(slot: string): Promise<Stopped> {
    const i = this.slots.get(slot)!;
    this.slots.delete(slot); // its restart timer (if it died just before) sees this and does not fire
    if (i.ending === 'kill') await i.exited; // SIGKILLed just before: no SIGTERM to send
    if (i.exit) return { name: i.name, code: i.exit.code, signal: i.exit.signal, alreadyExited: true };
    i.ending = 'term';
    if (!i.exit) {
      if (i.stopped) this.cont(i);
      i.child.kill('SIGTERM');
    }
    const sent = Date.now();
    const killer = setTimeout(() => i.child.kill('SIGKILL'), 60_000);
    await i.exited;
    clearTimeout(killer);
    const ms = Date.now() - sent;
    this.opts.note(`replica ${i.name}: SIGTERM → exit in ${(ms / 1000).toFixed(1)} s`);
    return { name: i.name, code: i.exit!.code, signal: i.exit!.signal, ms };
  }

  kill(i: Instance): void {
    i.ending = 'kill';
    if (i.stopped) this.cont(i);
    i.child.kill('SIGKILL');
  }

  stop(i: Instance): void {
    i.child.kill('SIGSTOP');
    i.stopped = true;
  }

  cont(i: Instance): void {
    i.child.kill('SIGCONT');
    i.stopped = false;
  }

  /** SIGTERM to every replica (the graceful stop), after waiting for restarts in progress. */
  async stopAll(): Promise<Stopped[]> {
    const results = await Promise.all([...this.slots.keys()].map((s) => this.retire(s)));
    this.shuttingDown = true;
    return results;
  }

  /** Kills everything (cleanup path). */
  async killAll(): Promise<void> {
    this.shuttingDown = true;
    for (const i of this.instances) if (!i.exit) this.kill(i);
    await Promise.all(this.instances.map((i) => i.exited));
  }
}

export function safeRead(file: string): string {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  } catch {
    return '';
  }
}

/** The JSON log lines of an instance (non-JSON lines are skipped). */
export function logLines(i: Instance): LogLine[] {
  const out: LogLine[] = [];
  for (const line of safeRead(i.log).split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      /* a line cut by SIGKILL */
    }
  }
  return out;
}

/** Waits until `pred` holds for a log line of `i`; rejects after `timeoutMs` or when `i` exits first. */
export async function waitForLog(i: Instance, pred: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = logLines(i).find(pred);
    if (hit) return hit;
    if (i.exit) throw new Error(`replica ${i.name} exited before the expected log line`);
    if (Date.now() > deadline) throw new Error(`replica ${i.name}: expected log line not seen within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
