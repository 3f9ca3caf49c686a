/**
 * Helpers for pipeline tests: a topology written to a temp folder with random topic names, and
 * readers of its outputs (topics: ./read.ts; Parquet files: DuckDB).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Checkpoint } from '../../src/commit/checkpoint.js';
import { waitFor } from './read.js';
import { randomName } from './services.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface TestTopology {
  file: string;
  dir: string;
  name: string;
  group: string;
  source: string;
  output: string;
  dlq: string;
  late: string;
  parquet: string;
  /** The repartition topic between the two stages (`<name>-repartition`). */
  repartition: string;
}

export interface TopologyOptions {
  /** Folder for the file and the Parquet output (default: a new temp folder). */
  dir?: string;
  /** Name (default: random); topics and the group derive from it. */
  name?: string;
  sessionTimeout?: string;
  dedupTtl?: string;
  batch?: string;
  /** source.max_future_skew (default: not set, the topology default). */
  maxFutureSkew?: string;
  /** aggregate.max_key_bytes (default: not set). */
  maxKeyBytes?: number;
  /** topics.config of the topics sluice creates (e.g. max.message.bytes); not with a `topics:` in `extra`. */
  topicConfig?: Record<string, string>;
  /** Top-level YAML lines appended to the file (e.g. `topics: { partitions: 1 }`). */
  extra?: string;
  /** The Parquet sink's path (default: `<dir>/parquet`), e.g. s3://bucket/prefix. */
  parquet?: string;
  /** Two stages: `source.partitioned_by_group_key: false` (docs/keyed-windows.md). */
  twoStage?: boolean;
  /** `source.idle_timeout` (two stages only). */
  idleTimeout?: string;
  /** The `window:` value (default `{ type: tumbling, size: 10s, grace: 2s }`), e.g. a session window. */
  window?: string;
}

/** The file, folder and names of a test topology called `name` in `dir` (topics and group derived from the name). */
export function testTopology(dir: string, name: string, parquet = join(dir, 'parquet')): TestTopology {
  return {
    file: join(dir, 'topology.yaml'),
    dir,
    name,
    group: `${name}-group`,
    source: `${name}-in`,
    output: `${name}-out`,
    dlq: `${name}-dlq`,
    late: `${name}-late`,
    parquet,
    repartition: `${name}-repartition`,
  };
}

/** The demo topology's shape (tumbling 10 s + 2 s grace, page-view metrics) on fresh topics. */
export function writeTopology(opts: TopologyOptions = {}): TestTopology {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sluice-it-'));
  const name = opts.name ?? randomName('it');
  const t = testTopology(dir, name, opts.parquet);
  writeFileSync(
    t.file,
    `name: ${name}
source:
  topic: ${t.source}
  group: ${t.group}
  value: { schema: ${resolve(REPO, 'schemas/page_view.avsc')} }
  event_time: ts
  session_timeout: ${opts.sessionTimeout ?? '30s'}${opts.maxFutureSkew === undefined ? '' : `\n  max_future_skew: ${opts.maxFutureSkew}`}
  partitioned_by_group_key: ${opts.twoStage ? 'false' : 'true'}
${opts.idleTimeout ? `  idle_timeout: ${opts.idleTimeout}\n` : ''}dedup: { key: event_id, ttl: ${opts.dedupTtl ?? '1h'} }
window: ${opts.window ?? '{ type: tumbling, size: 10s, grace: 2s }'}
aggregate:
  group_by: [page]${opts.maxKeyBytes === undefined ? '' : `\n  max_key_bytes: ${opts.maxKeyBytes}`}
  metrics:
    views: count(*)
    latency_sum: sum(latency_ms)
    latency_min: min(latency_ms)
    latency_max: max(latency_ms)
    unique_users: count(DISTINCT user_id)
    latency_p95: quantile_cont(latency_ms, 0.95)
sinks:
  topic: { name: ${t.output} }
  parquet: { path: ${t.parquet} }
dead_letter: ${t.dlq}
late: ${t.late}
batch: ${opts.batch ?? '{ max_records: 500, max_wait: 100ms }'}
${opts.topicConfig === undefined ? '' : `topics: { config: ${JSON.stringify(opts.topicConfig)} }\n`}${opts.extra ?? ''}
`,
  );
  return t;
}

/**
 * Waits until the files of the last commits are published: given the checkpoints waitProcessed
 * (./read.ts) returned, each one's staging folder is gone once its files are renamed into place.
 * Earlier commits of a task were published before its next batch began. A replica killed between
 * a commit and its publish leaves the files staged until its partitions move, after the session
 * timeout (30 s in these topologies) and a restore: so the default wait is longer than that.
 */
export async function waitPublished(t: TestTopology, checkpoints: ReadonlyMap<number, Checkpoint>, timeoutMs = 60_000): Promise<void> {
  const staged = () => [...checkpoints.values()].flatMap((c) => (c.staging && existsSync(join(t.parquet, '_staging', c.staging)) ? [c.staging] : []));
  await waitFor(() => staged().length === 0, timeoutMs, () => `staged Parquet files of ${staged().join(', ')} to be published`);
}

/** The demo topology's metrics, in result order. */
export const METRICS = ['views', 'latency_sum', 'latency_min', 'latency_max', 'unique_users', 'latency_p95'];

/** One window result of the demo topology, as the topic and the Parquet files carry it. */
export interface Row { start: number; end: number; page: string; metrics: Record<string, number | null> }

/** Reads Parquet result files with DuckDB: `files` is a glob or a list of paths (window bounds are TIMESTAMP_MS in the files). */
export async function readParquetRows(files: string | string[]): Promise<Row[]> {
  const quote = (f: string) => `'${f.replace(/'/g, "''")}'`;
  const source = typeof files === 'string' ? quote(files) : `[${files.map(quote).join(', ')}]`;
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(`SELECT epoch_ms(window_start) AS s, epoch_ms(window_end) AS e, * FROM read_parquet(${source})`);
    return reader.getRowObjectsJS().map((r) => ({
      start: Number(r.s),
      end: Number(r.e),
      page: String(r.page),
      metrics: Object.fromEntries(METRICS.map((m) => [m, r[m] === null ? null : Number(r[m])])),
    }));
  } finally {
    conn.disconnectSync();
    db.closeSync();
  }
}
