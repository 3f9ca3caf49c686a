/**
 * One Kafka Streams baseline instance (bench/kafka-streams) as a child JVM, measured from outside
 * as sluice-run.ts measures a replica: its progress lines (every 100 ms) for the count of input
 * records seen, /proc/<pid>/stat for its CPU (all JVM threads: JIT and GC included), VmHWM for its
 * peak RSS. The clock starts at the first poll that shows input seen and stops at the first one
 * where every preloaded record is; then SIGTERM closes it cleanly, which commits its last
 * transaction (the output compared with sluice's is complete).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, peakRss } from './proc.js';

const POLL_MS = 200;

export interface StreamsRunOptions {
  jar: string;
  brokers: string[];
  registryUrl: string;
  input: string;
  output: string;
  appId: string;
  outputSchemaId: number;
  readerSchemaFile: string;
  threads: number;
  repartition: boolean;
  /** The window step's form (bench/kafka-streams/README.md): raw rows aggregated at close, or the DSL's accumulator + suppress. */
  state: 'rows' | 'accumulator';
  events: number;
  dir: string;
  timeoutMs: number;
}

export interface StreamsCounters { input: number; malformed: number; duplicates: number; key_mismatch: number; windows: number }

export interface StreamsResult extends StreamsCounters {
  threads: number;
  events: number;
  seconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  logFile: string;
}

/** The counters of a "progress input=… malformed=…" line, or undefined for any other line. */
export function parseProgress(line: string): StreamsCounters | undefined {
  if (!line.startsWith('progress ')) return undefined;
  const c: Record<string, number> = {};
  for (const pair of line.slice(9).trim().split(/\s+/)) {
    const [k, v] = pair.split('=');
    if (k && v !== undefined) c[k] = Number(v);
  }
  return { input: c.input ?? 0, malformed: c.malformed ?? 0, duplicates: c.duplicates ?? 0, key_mismatch: c.key_mismatch ?? 0, windows: c.windows ?? 0 };
}

/** JVM options from SLUICE_BENCH_JVM_OPTS (space-separated), e.g. a flight recording to profile the baseline. */
export function streamsArgs(o: StreamsRunOptions, jvmOpts = process.env.SLUICE_BENCH_JVM_OPTS ?? ''): string[] {
  return [
    ...jvmOpts.split(/\s+/).filter(Boolean),
    '-jar', o.jar, '--bootstrap', o.brokers.join(','), '--registry', o.registryUrl, '--input', o.input, '--output', o.output,
    '--app-id', o.appId, '--output-schema-id', String(o.outputSchemaId), '--reader-schema', o.readerSchemaFile,
    '--state-dir', join(o.dir, `state-${o.appId}`), '--threads', String(o.threads), '--state', o.state, ...(o.repartition ? ['--repartition'] : []),
  ];
}

export async function runStreams(o: StreamsRunOptions): Promise<StreamsResult> {
  const logFile = join(o.dir, `${o.appId}.log`);
  const child = spawn('java', streamsArgs(o), { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  let latest: StreamsCounters = parseProgress('progress ')!;
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const c = parseProgress(line);
      if (c) latest = c;
      else log.write(`${line}\n`);
    }
  });
  child.stderr!.pipe(log, { end: false });
  try {
    const deadline = Date.now() + o.timeoutMs;
    let start: { t: number; cpu: number; n: number } | undefined;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Kafka Streams exited with code ${child.exitCode} before draining the topic; see ${logFile}`);
      if (Date.now() > deadline) throw new Error(`Kafka Streams did not drain ${o.events} events within ${o.timeoutMs / 1000} s (last count ${latest.input}); see ${logFile}`);
      const t = performance.now();
      const cpu = cpuSeconds(child.pid!);
      const n = latest.input;
      if (start === undefined && n > 0) start = { t, cpu, n };
      if (start !== undefined && n >= o.events) {
        const peakRssBytes = peakRss(child.pid!);
        await stop(child);
        // the counters after the clean close: its last windows are in them
        return { ...latest, threads: o.threads, events: n - start.n, seconds: (t - start.t) / 1000, cpuSeconds: cpu - start.cpu, peakRssBytes, logFile };
      }
      await sleep(POLL_MS);
    }
  } finally {
    await stop(child);
    log.end();
  }
}

/** SIGTERM (its shutdown hook closes Kafka Streams, committing), SIGKILL after 60 s; resolves once its stdout is read to the end. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
