/**
 * `npm run bench:feed`: the bench's live feed alone (live-feed.ts) into a fresh topic that nothing
 * reads, to see what rate it keeps on this box and at what CPU before it is used to measure
 * sluice's latency at half its capacity. Prints events/s reached, how far behind its schedule it
 * ended, its CPU seconds per 100k events and the cores it used; deletes the topic.
 *   npm run bench:feed -- --rate 70000 --seconds 20 --feed-processes 1 --partitions 6 (the defaults)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadStackEnv } from '../../src/connection/stack-env.js';
import { GRACE_MS, SIZE_MS } from './live.js';
import { DEFAULT_FEED_PROCESSES, startLiveFeed } from './live-feed.js';
import { loadAverage } from './proc.js';
import { cleanup, preload, writeBenchTopology } from './setup.js';
import { helpRequested } from './usage.js';

helpRequested(import.meta.url);
const { values: a } = parseArgs({
  options: {
    rate: { type: 'string', default: '70000' },
    seconds: { type: 'string', default: '20' },
    'feed-processes': { type: 'string', default: String(DEFAULT_FEED_PROCESSES) },
    partitions: { type: 'string', default: '6' },
  },
});
const rate = Number(a.rate);
const seconds = Number(a.seconds);
const processes = Number(a['feed-processes']);
const partitions = Number(a.partitions);
if (![rate, seconds, processes, partitions].every((n) => n > 0 && Number.isFinite(n)) || !Number.isInteger(processes) || processes > partitions) {
  process.stderr.write('bench:feed: --rate, --seconds, --feed-processes (at most --partitions) and --partitions must be positive numbers\n');
  process.exit(2);
}
const env = loadStackEnv();
if (!env.KAFKA_BROKERS || !env.SCHEMA_REGISTRY_URL) {
  process.stderr.write('bench:feed: KAFKA_BROKERS and SCHEMA_REGISTRY_URL must be set (or `npm run stack:up` run first)\n');
  process.exit(2);
}
const brokers = env.KAFKA_BROKERS.split(',');
const dir = mkdtempSync(join(tmpdir(), 'sluice-feed-'));
const t = writeBenchTopology(dir);
const shape = { events: 0, partitions, keys: 10_000, duplicates: 0.02, stepMs: 1, seed: 'bench' };
try {
  await preload(brokers, env.SCHEMA_REGISTRY_URL, t, shape); // the topic and its schema
  const events = Math.round(rate * seconds);
  const feed = await startLiveFeed({ brokers, registryUrl: env.SCHEMA_REGISTRY_URL, topologyFile: t.file, topic: t.source, partitions, keys: shape.keys, duplicates: shape.duplicates, seed: shape.seed, processes, events, rate, sizeMs: SIZE_MS, graceMs: GRACE_MS }, 120_000);
  const loadBefore = loadAverage();
  feed.go();
  const done = await feed.done;
  const reached = done.sent / done.seconds;
  process.stdout.write(
    `live feed, ${processes} process${processes === 1 ? '' : 'es'}: ${done.sent.toLocaleString('en')} events at ${rate.toLocaleString('en')}/s asked → ${Math.round(reached).toLocaleString('en')} events/s `
    + `(ended ${Math.max(0, done.behindSeconds).toFixed(1)} s behind), ${((done.cpuSeconds * 1e5) / done.sent).toFixed(2)} CPU s/100k events, ${(done.cpuSeconds / done.seconds).toFixed(2)} cores `
    + `(load avg. ${loadBefore} → ${loadAverage()})\n`,
  );
} finally {
  await cleanup(brokers, undefined, t, []).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
