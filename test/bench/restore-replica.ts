/**
 * One `sluice run` replica of `npm run bench:restore`, as a child process: its JSON log kept line
 * by line (pino's `time` is the wall clock, the same clock the bench reads), its /readyz polled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface LogLine { time: number; msg: string; [field: string]: unknown }

const POLL_MS = 50;

export class Replica {
  readonly lines: LogLine[] = [];
  private port = 0;
  private tail = '';

  private constructor(readonly child: ChildProcess, readonly spawnedAt: number) {}

  /** `instanceId`: --instance-id (static membership), undefined: a dynamic member; `nodeArgs`: before the script, e.g. --cpu-prof (refused in NODE_OPTIONS). */
  static start(topologyFile: string, env: NodeJS.ProcessEnv, logFile: string, instanceId: string | undefined, nodeArgs: string[] = []): Replica {
    const args = ['run', topologyFile, '--port', '0', ...(instanceId ? ['--instance-id', instanceId] : [])];
    const child = spawn(process.execPath, [...nodeArgs, 'bin/sluice.js', ...args], { env: { ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = new Replica(child, Date.now());
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stderr!.pipe(log);
    child.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      r.tail += chunk.toString('utf8');
      const lines = r.tail.split('\n');
      r.tail = lines.pop()!;
      for (const l of lines) r.take(l);
    });
    child.once('exit', () => log.end());
    return r;
  }

  private take(line: string): void {
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      return;
    }
    this.lines.push(parsed);
    const m = /metrics on http:\/\/[^:\s]+:(\d+)\/metrics/.exec(parsed.msg ?? '');
    if (m) this.port = Number(m[1]);
  }

  /** The first log line whose message is `msg` (and, optionally, that passes `where`). */
  first(msg: string, where: (l: LogLine) => boolean = () => true): LogLine | undefined {
    return this.lines.find((l) => l.msg === msg && where(l));
  }

  all(msg: string): LogLine[] {
    return this.lines.filter((l) => l.msg === msg);
  }

  /** Polls /readyz until it answers 200; the wall-clock time it did. */
  async ready(deadline: number): Promise<number> {
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`replica exited with code ${this.child.exitCode} before it was ready`);
      if (Date.now() > deadline) throw new Error('replica not ready before the deadline');
      if (this.port > 0) {
        const ok = await fetch(`http://127.0.0.1:${this.port}/readyz`).then((r) => r.status === 200, () => false);
        if (ok) return Date.now();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** /metrics as text (empty once the process is gone). */
  async metrics(): Promise<string> {
    return this.port > 0 ? fetch(`http://127.0.0.1:${this.port}/metrics`).then((r) => r.text(), () => '') : '';
  }

  /** SIGKILL; resolves once the process is gone, with the time the signal was sent. */
  async kill(): Promise<number> {
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    const at = Date.now();
    this.child.kill('SIGKILL');
    await exited;
    return at;
  }

  /** SIGTERM (SIGKILL after 30 s), for the end of the bench. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}
