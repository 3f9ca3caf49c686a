/**
 * One `sluice run` replica as a child process, measured from outside: its /metrics every
 * POLL_MS for progress and the batch histogram, /proc/<pid>/stat for its CPU alone, and at each
 * scrape the CPU of the Redis it dedups in (redis-cpu.ts, REDIS_URL of its env), over the same clock.
 * The clock starts at the first scrape that shows processed records and stops at the first one
 * where every preloaded record is counted (decoded + dead_lettered: each input record is counted
 * once, at decode, in src/runtime/pipeline.ts) and, with two stages, stage 2 has read every record
 * stage 1 wrote to the repartition topic. Committed offsets cannot mark the end: they stay at the
 * low-water mark of the windows still open.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, peakRss } from './proc.js';
import { histogramOf, parseProm, sumOf, type Histogram, type Sample } from './prom.js';
import { redisCpu } from './redis-cpu.js';

// every scrape costs the replica ~1 ms of CPU (/metrics with default metrics); 200 ms keeps that under 1 %
const POLL_MS = 200;

export interface SluiceRunOptions {
  topologyFile: string;
  events: number;
  env: NodeJS.ProcessEnv;
  /** Folder for the child's log (and CPU profile). */
  dir: string;
  timeoutMs: number;
  /** Write a V8 CPU profile of the replica (node --cpu-prof) into `dir`/profile. */
  profile: boolean;
  /** Two stages (docs/keyed-windows.md): done once stage 2 has also read every record stage 1 wrote. */
  twoStage?: boolean;
  /** Called once /readyz answers 200 (partitions assigned, tasks started and restored). */
  onReady?: () => void;
}

export interface SluiceResult {
  events: number;
  seconds: number;
  cpuSeconds: number;
  /** CPU seconds of the whole Redis server over the same clock (its dedup work); undefined when Redis could not be read. */
  redisCpuSeconds?: number;
  /** Peak RSS of the replica process over the whole run, start and drain (bytes): the memory to request. */
  peakRssBytes: number;
  batchSeconds: Histogram;
  batchRecords: Histogram;
  transactions: number;
  windowsEmitted: number;
  outcomes: Record<string, number>;
  /** Mean seconds of each step of the transactions that closed windows, and how many there were. */
  closeSteps: Record<string, { mean: number; count: number }>;
  logFile: string;
  profileDir?: string;
}

export async function runSluice(opts: SluiceRunOptions): Promise<SluiceResult> {
  const logFile = join(opts.dir, 'sluice.log');
  const profileDir = opts.profile ? join(opts.dir, 'profile') : undefined;
  // --cpu-prof is refused in NODE_OPTIONS ("not allowed"), so it goes on node's own command line
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, 'bin/sluice.js', 'run', opts.topologyFile, '--port', '0'], {
    env: { ...opts.env, LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const redis = redisCpu(opts.env.REDIS_URL);
  try {
    const port = await metricsPort(child, opts.timeoutMs);
    const scrape = async (): Promise<Sample[]> => parseProm(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    const processed = (s: Sample[]) => sumOf(s, 'sluice_records_total', { outcome: 'decoded' }) + sumOf(s, 'sluice_records_total', { outcome: 'dead_lettered' });
    // two stages: stage 2 must have read every data record stage 1 wrote, too
    const stage2Done = (s: Sample[]) => !opts.twoStage || sumOf(s, 'sluice_repartition_records_total', { stage: '2', kind: 'data' }) >= sumOf(s, 'sluice_repartition_records_total', { stage: '1', kind: 'data' });
    const deadline = Date.now() + opts.timeoutMs;
    let start: { t: number; cpu: number; redisCpu?: number; n: number } | undefined;
    let last: Sample[] = [];
    let ready = opts.onReady === undefined;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sluice exited with code ${child.exitCode} before draining the topic; see ${logFile}`);
      if (Date.now() > deadline) throw new Error(`sluice did not drain ${opts.events} events within ${opts.timeoutMs / 1000} s (last count ${processed(last)}); see ${logFile}`);
      if (!ready && (ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).ok)) opts.onReady!();
      const t = performance.now();
      const cpu = cpuSeconds(child.pid!);
      let redisCpuNow: number | undefined;
      [last, redisCpuNow] = await Promise.all([scrape(), redis.read()]);
      const n = processed(last);
      if (start === undefined && n > 0) start = { t, cpu, redisCpu: redisCpuNow, n };
      if (start !== undefined && n >= opts.events && stage2Done(last)) {
        const outcomes: Record<string, number> = {};
        for (const o of ['decoded', 'dead_lettered', 'duplicate', 'late', 'aggregated']) outcomes[o] = sumOf(last, 'sluice_records_total', { outcome: o });
        return {
          events: n - start.n,
          seconds: (t - start.t) / 1000,
          cpuSeconds: cpu - start.cpu,
          redisCpuSeconds: redisCpuNow !== undefined && start.redisCpu !== undefined ? redisCpuNow - start.redisCpu : undefined,
          peakRssBytes: peakRss(child.pid!),
          batchSeconds: histogramOf(last, 'sluice_batch_duration_seconds'),
          batchRecords: histogramOf(last, 'sluice_batch_records'),
          transactions: sumOf(last, 'sluice_transactions_total', { result: 'committed' }),
          windowsEmitted: sumOf(last, 'sluice_windows_emitted_total', { sink: 'topic' }),
          outcomes,
          closeSteps: Object.fromEntries(['aggregate', 'stage', 'transaction', 'publish'].map((step) => {
            const count = sumOf(last, 'sluice_window_close_step_seconds_count', { step });
            return [step, { mean: count > 0 ? sumOf(last, 'sluice_window_close_step_seconds_sum', { step }) / count : NaN, count }];
          })),
          logFile,
          profileDir,
        };
      }
      await sleep(POLL_MS);
    }
  } finally {
    redis.close();
    await stop(child);
    log.end();
  }
}

/** The port from the log line "metrics on http://…:<port>/metrics". */
function metricsPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => done(new Error(`sluice printed no "metrics on" line within ${timeoutMs / 1000} s`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const m = /metrics on http:\/\/[^:\s]+:(\d+)\/metrics/.exec(buffered);
      if (m) done(undefined, Number(m[1]));
      else if (buffered.length > 1 << 20) buffered = buffered.slice(-4096);
    };
    const onExit = (code: number | null) => done(new Error(`sluice exited with code ${code} before serving /metrics:\n${buffered.slice(-2000)}`));
    const done = (err?: Error, port?: number) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(port!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', onExit);
  });
}

/** SIGTERM (a clean exit writes the CPU profile), SIGKILL after 30 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
