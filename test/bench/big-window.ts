/**
 * `npm run bench:window`: one window with very many groups, the case that used to never close.
 * Preloads --events page views over --keys keys into ONE window (--window, default 1h) of one
 * partition, lets one `sluice run` replica take them all in (open rows held in DuckDB, under
 * --memory-limit, spilling past it into a folder of the run, watched), then sends the record that
 * closes the window and measures close → committed. Prints groups, RSS with the window open, peak
 * RSS, the spill folder's peak size, the close time and the command.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { loadStackEnv } from '../../src/connection/stack-env.js';
import { parseDuration } from '../../src/topology/duration.js';
import { parseProm, sumOf } from './prom.js';
import { cleanup, preload, writeBenchTopology } from './setup.js';

const { values: a } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    keys: { type: 'string', default: '300000' },
    window: { type: 'string', default: '1h' },
    'memory-limit': { type: 'string', default: '1GB' },
    timeout: { type: 'string', default: '600' },
  },
});
const env = loadStackEnv();
if (!env.KAFKA_BROKERS || !env.SCHEMA_REGISTRY_URL) {
  process.stderr.write('bench:window: KAFKA_BROKERS and SCHEMA_REGISTRY_URL must be set (or `npm run stack:up` run first)\n');
  process.exit(2);
}
const brokers = env.KAFKA_BROKERS.split(',');
const events = Number(a.events);
const windowMs = parseDuration(a.window)!;
const deadline = Date.now() + Number(a.timeout) * 1000;
const say = (line: string) => process.stderr.write(`[bench:window] ${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-window-'));
const t = writeBenchTopology(dir);
const doc = parseDocument(readFileSync(t.file, 'utf8'));
doc.setIn(['window'], doc.createNode({ type: 'tumbling', size: a.window, grace: '0s' }));
// no dedup: the closer reuses the generator's first event id, and Redis is not what this measures
doc.deleteIn(['dedup']);
doc.setIn(['batch'], doc.createNode({ max_records: 20000, max_wait: '200ms' }));
writeFileSync(t.file, doc.toString());

// every event inside one window that ended hours ago; then one event at its end closes it
const start = Math.floor((Date.now() - 3 * windowMs) / windowMs) * windowMs;
const shape = { events, partitions: 1, keys: Number(a.keys), duplicates: 0, stepMs: (windowMs * 0.9) / events, seed: 'window', startTs: start };
say(`preloading ${events} events over ${shape.keys} keys into one ${a.window} window`);
const loaded = await preload(brokers, env.SCHEMA_REGISTRY_URL, t, shape);
say(`preloaded in ${loaded.seconds.toFixed(1)} s; starting one replica`);

const spillDir = join(dir, 'spill');
mkdirSync(spillDir);
const child = spawn(process.execPath, ['bin/sluice.js', 'run', t.file, '--port', '0', '--memory-limit', a['memory-limit'], '--spill-dir', spillDir], { env: { ...process.env, ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
child.stdout.on('data', (d) => (log += d));
child.stderr.on('data', (d) => (log += d));
const status = (field: string) => Number(/(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? 0) / 1024;
// the spill folder's size, sampled with every wait below
let spillPeak = 0;
const spillBytes = (d: string): number => readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? spillBytes(join(d, e.name)) : statSync(join(d, e.name), { throwIfNoEntry: false })?.size ?? 0), 0);
const until = async (what: string, cond: () => Promise<boolean> | boolean) => {
  while (!(await cond())) {
    spillPeak = Math.max(spillPeak, spillBytes(spillDir));
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`bench:window: gave up waiting for ${what}; log tail:\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};
try {
  let port = 0;
  await until('the metrics port', () => ((port = Number(/metrics on http:\/\/[^:\s]+:(\d+)/.exec(log)?.[1] ?? 0)), port > 0));
  const scrape = async () => parseProm(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  await until('every event taken in', async () => sumOf(await scrape(), 'sluice_records_total', { outcome: 'decoded' }) >= events);
  const openRss = status('VmRSS');
  const closer = await preloadCloser();
  const closed = performance.now();
  await until('the window emitted', async () => sumOf(await scrape(), 'sluice_windows_emitted_total', { sink: 'topic' }) >= 1);
  const seconds = (performance.now() - closed) / 1000;
  const peak = status('VmHWM');
  process.stdout.write(
    [
      `events ${events}, groups (output rows) ${loaded.groups}, one ${a.window} window, memory limit ${a['memory-limit']}`,
      `RSS with the window open: ${openRss.toFixed(0)} MiB; peak RSS: ${peak.toFixed(0)} MiB; DuckDB spilled at most ${(spillPeak / 2 ** 20).toFixed(0)} MiB to disk (sampled every 200 ms)`,
      `close → committed (${loaded.groups} rows to the topic and Parquet): ${seconds.toFixed(2)} s (closer sent in ${closer.toFixed(2)} s)`,
      `command: npm run bench:window -- --events ${events} --keys ${shape.keys} --window ${a.window} --memory-limit ${a['memory-limit']}`,
    ].join('\n') + '\n',
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await cleanup(brokers, env.REDIS_URL, t, [t.group]);
  rmSync(dir, { recursive: true, force: true });
}

/** One more event, at the window's end: stream time reaches end + grace and the window closes. */
async function preloadCloser(): Promise<number> {
  const began = performance.now();
  await preload(brokers, env.SCHEMA_REGISTRY_URL!, t, { ...shape, events: 1, keys: 1, seed: 'closer', startTs: start + windowMs + 60_000 }); // past the generator's jitter
  return (performance.now() - began) / 1000;
}
