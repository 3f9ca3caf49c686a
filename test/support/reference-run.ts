/**
 * Runs reference cases (test/reference/cases) through the real pipeline: each case gets its own
 * source topic, topology and in-process replica; the input is produced with one shared producer,
 * the replicas run a few at a time, and the outputs of all cases are read back read_committed
 * with one consumer at the end (./reference-read.ts). A case that fails to run records its error
 * and does not stop the others.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type Message } from 'kafkajs';
import pino from 'pino';
import { stringify } from 'yaml';
import { startReplica } from '../../src/runtime/replica.js';
import { parseDuration } from '../../src/topology/duration.js';
import { loadTopology } from '../../src/topology/loader.js';
import { EVENT_SCHEMA, FLUSH_KEY, type RefCase, type RefInput } from '../reference/cases.js';
import { readCaseOutputs, type CaseOutputs } from './reference-read.js';
import { waitProcessed, waitStage2 } from './read.js';
import { endpoints, randomName } from './services.js';

export interface CaseRun { key: string; c: RefCase; twoStage: boolean }
export interface CaseTopics { name: string; group: string; source: string; output: string; late: string; early: string; repartition: string }
export type CaseOutcome = ({ ok: true } & CaseOutputs) | { ok: false; error: string };

const ms = (v: string | number | undefined): number => (v === undefined ? 0 : typeof v === 'number' ? v : (parseDuration(v) ?? 0));

/** How far past the input the flush record goes: every window of the input has closed by then. */
export function horizonOf(c: RefCase): number {
  const w = c.window;
  return ms(w.size ?? w.gap) + ms(w.grace);
}

function topicsOf(name: string): CaseTopics {
  return { name, group: `${name}-group`, source: `${name}-in`, output: `${name}-out`, late: `${name}-late`, early: `${name}-out_early`, repartition: `${name}-repartition` };
}

function topologyYaml(c: RefCase, t: CaseTopics, twoStage: boolean): string {
  // `having` belongs under aggregate:, the rest of a case's topology fields (filter, emit) at the top
  const { having, ...top } = c.topology ?? {};
  return stringify({
    name: t.name,
    source: { topic: t.source, group: t.group, value: { schema: EVENT_SCHEMA }, event_time: 'ts', session_timeout: '10s', partitioned_by_group_key: !twoStage },
    dedup: { key: 'eid', ttl: horizonOf(c) + 3_600_000 },
    window: c.window,
    aggregate: { group_by: ['id'], metrics: c.metrics, ...(having === undefined ? {} : { having }) },
    sinks: { topic: { name: t.output } },
    dead_letter: `${t.name}-dlq`,
    late: t.late,
    batch: { max_records: 500, max_wait: '50ms' },
    ...top,
  });
}

/** The case's records plus one flush record per partition, each with its partition. */
function recordsOf(c: RefCase, name: string): Array<RefInput & { eid: string; p: number }> {
  const flushTs = Math.max(...c.input.map((r) => r.ts)) + horizonOf(c) + 1;
  const flush = Array.from({ length: c.partitions }, (_, p) => ({ id: FLUSH_KEY, ...c.flush, ts: flushTs, p }));
  return [...c.input, ...flush].map((r, i) => ({ ...r, p: r.p ?? 0, eid: `${name}-${i}` }));
}

export async function runCases(runs: readonly CaseRun[], opts: { concurrency: number }): Promise<Map<string, CaseOutcome>> {
  const ep = endpoints();
  const kafka = new Kafka({ clientId: 'sluice-reference', brokers: ep.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const registry = new SchemaRegistry({ host: ep.registryUrl });
  const outcomes = new Map<string, CaseOutcome>();
  const dirs: string[] = [];
  try {
    await Promise.all([admin.connect(), producer.connect()]);
    const { id: schemaId } = await registry.register({ type: SchemaType.AVRO, schema: readFileSync(EVENT_SCHEMA, 'utf8') }, { subject: `${randomName('reference')}-value` });
    const prepared = runs.map((run) => ({ run, t: topicsOf(randomName('ref')) }));
    await admin.createTopics({ waitForLeaders: true, topics: prepared.map(({ run, t }) => ({ topic: t.source, numPartitions: run.c.partitions })) });
    for (const { run, t } of prepared) {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-ref-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'topology.yaml'), topologyYaml(run.c, t, run.twoStage));
      const messages: Message[] = [];
      for (const { p, ...r } of recordsOf(run.c, t.name)) {
        messages.push({ partition: p, key: r.id ?? null, value: await registry.encode(schemaId, { name: null, v: null, ...r, id: r.id ?? null }) });
      }
      await producer.send({ topic: t.source, acks: -1, messages });
    }
    // each case: start its replica, wait until all its input is committed, stop it
    const queue = [...prepared];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { run, t } = next;
        const dir = dirs[prepared.indexOf(next)]!;
        try {
          const replica = await startReplica(await loadTopology(join(dir, 'topology.yaml')), ep, { port: 0, log: pino({ level: 'warn' }) });
          try {
            await waitProcessed(ep.brokers, t.group, t.source, 60_000);
            if (run.twoStage) await waitStage2(ep.brokers, t.group, t.repartition, 60_000);
          } finally {
            await replica.stop();
          }
          outcomes.set(run.key, { ok: true, ...emptyOutputs() });
        } catch (e) {
          outcomes.set(run.key, { ok: false, error: e instanceof Error ? e.message : String(e) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, prepared.length) }, worker));
    const done = prepared.filter(({ run }) => outcomes.get(run.key)?.ok);
    const read = await readCaseOutputs(ep.brokers, registry, done.map(({ run, t }) => ({ key: run.key, topics: t, early: run.c.early !== undefined })));
    for (const [key, outputs] of read) outcomes.set(key, { ok: true, ...outputs });
  } finally {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return outcomes;
}

const emptyOutputs = (): CaseOutputs => ({ rows: [], late: [], early: [] });
