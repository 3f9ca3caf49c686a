/**
 * One fuzz run on the real stack: payloads (./payloads.ts) on a fresh 3-partition topic, a final
 * record per partition that closes every window, one in-process replica, then every payload
 * accounted for from the input alone (./classify.ts + test/support/oracle.ts) against the
 * output, dead-letter and late topics (read_committed) and the replica's duplicate count.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import pino from 'pino';
import { startReplica } from '../../src/runtime/replica.js';
import { keyedPartition } from '../../src/sink/murmur2.js';
import { loadTopology } from '../../src/topology/loader.js';
import { text as header } from '../support/headers.js';
import { metricValue, openTestSource, pageView, pageViewType } from '../support/hostile.js';
import { oracle, type OracleRecord } from '../support/oracle.js';
import { writeTopology } from '../support/pipeline.js';
import { readToEnd, waitProcessed } from '../support/read.js';
import type { Endpoints } from '../support/services.js';
import { classify } from './classify.js';
import { fuzzPayloads } from './payloads.js';

export interface FuzzSummary {
  payloads: number;
  dead: Record<string, number>;
  late: number;
  aggregated: number;
  pending: number;
  duplicates: number;
  crashes: number;
  unaccounted: number;
  seconds: number;
}

const PARTITIONS = 3;
const SKEW_MS = 60_000;
const MAX_KEY_BYTES = 1024;
const BIG = String(8 << 20);

export async function runFuzz(env: Endpoints, opts: { count: number; seed: number; log?: (line: string) => void }): Promise<FuzzSummary> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const t = writeTopology({ maxFutureSkew: '1m', maxKeyBytes: MAX_KEY_BYTES, topicConfig: { 'max.message.bytes': BIG }, batch: '{ max_records: 2000, max_wait: 100ms }' });
  const cleanup: Array<() => Promise<unknown> | unknown> = [() => rmSync(t.dir, { recursive: true, force: true })];
  try {
    const topology = await loadTopology(t.file);
    const w = topology.spec.window as { size: number; grace: number };
    const source = await openTestSource({ ...env, topic: t.source, partitions: PARTITIONS, configs: { [t.source]: { 'max.message.bytes': BIG } } });
    cleanup.push(() => source.close());
    const rules = { type: pageViewType, schemaId: source.schemaId, eventTime: 'ts', groupBy: 'page', maxFutureSkewMs: SKEW_MS, maxKeyBytes: MAX_KEY_BYTES, intFields: ['latency_ms'] };

    // produce: decodable records go to their dedup key's partition (so "first seen" is well defined)
    const stepMs = 20; // Kafka time per payload: an accepted lead of max_future_skew makes ~1,000 records per partition late
    const t0 = Date.now() - opts.count * stepMs - 5 * 60_000;
    const input = new Map<number, OracleRecord[]>(Array.from({ length: PARTITIONS }, (_, p) => [p, []]));
    const codes = new Map<string, string>(); // "partition:offset" → expected dead-letter code
    const queues = Array.from({ length: PARTITIONS }, () => ({ items: [] as Array<{ value: Buffer | null; timestamp: number; verdict: ReturnType<typeof classify> }>, bytes: 0 }));
    const flush = async (p: number) => {
      const q = queues[p]!;
      const offsets = await source.send(p, q.items.map((m) => ({ value: m.value, timestamp: m.timestamp })));
      q.items.forEach((m, i) => {
        if ('dead' in m.verdict) codes.set(`${p}:${offsets[i]}`, m.verdict.dead);
        input.get(p)!.push({ offset: offsets[i]!, event: 'event' in m.verdict ? m.verdict.event : null });
      });
      [q.items, q.bytes] = [[], 0];
    };
    let rr = 0;
    for (const m of fuzzPayloads({ count: opts.count, seed: opts.seed, schemaId: source.schemaId, t0, stepMs, skewMs: SKEW_MS, maxKeyBytes: MAX_KEY_BYTES, horizonMs: w.size + w.grace })) {
      const verdict = classify(m.value, m.timestamp, rules);
      const decoded = m.value !== null && m.value.length >= 5 && m.value[0] === 0 && m.value.readUInt32BE(1) === source.schemaId ? tryDecode(m.value) : undefined;
      const p = decoded ? keyedPartition(String(decoded.event_id), PARTITIONS) : rr++ % PARTITIONS;
      const q = queues[p]!;
      q.items.push({ value: m.value, timestamp: m.timestamp, verdict });
      q.bytes += m.value?.length ?? 0;
      if (q.items.length >= 1000 || q.bytes >= 2 << 20) await flush(p);
    }
    // the last record of each partition: event time far enough ahead to close every other window
    const end = t0 + opts.count * stepMs + 60_000;
    for (let p = 0; p < PARTITIONS; p++) {
      const e = pageView(`end-${p}`, end + SKEW_MS, '/end');
      queues[p]!.items.push({ value: source.encode(e), timestamp: end, verdict: { event: { ...e } } });
      await flush(p);
    }
    log(`fuzz: produced ${opts.count} payloads (+${PARTITIONS} closing records) to ${t.source} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const expected = oracle(input, topology.spec);
    const crashes: Error[] = [];
    const replica = await startReplica(topology, env, { port: 0, log: pino({ level: process.env.FUZZ_LOG ?? 'silent' }, pino.destination(2)), onFatal: (e) => crashes.push(e) });
    cleanup.push(() => replica.stop());

    // done when every partition's checkpoint covers its input: a stuck partition times out here
    await waitProcessed(env.brokers, t.group, t.source, Math.max(120_000, opts.count * 5));
    log(`fuzz: replica done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const registry = new SchemaRegistry({ host: env.registryUrl });
    const rows = await readToEnd(env.brokers, t.output);
    const dead = await readToEnd(env.brokers, t.dlq);
    const late = await readToEnd(env.brokers, t.late);
    const metrics = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();

    const label = (page: unknown) => (String(page).length > 64 ? createHash('sha1').update(String(page)).digest('hex') : String(page));
    const gotRows = await Promise.all(rows.map(async ({ message }) => {
      const v = (await registry.decode(message.value!)) as Record<string, unknown>;
      return [`${label(v.page)}@${v.window_start}`, Number(v.views)] as const;
    }));
    const wantRows = expected.windows.map((x) => [`${label(x.group.page)}@${x.start}`, x.offsets.length] as const);
    const pos = (m: (typeof dead)[number]['message'], code = true) =>
      `${header(m.headers, 'sluice.source.partition')}:${header(m.headers, 'sluice.source.offset')}${code ? `:${header(m.headers, 'sluice.error.code')}` : ''}`;
    const duplicates = metricValue(metrics, 'sluice_records_total', { outcome: 'duplicate' });
    const unaccounted =
      diff(wantRows, gotRows) +
      diff([...codes].map(([k, c]) => [`${k}:${c}`, 1] as const), dead.map(({ message }) => [pos(message), 1] as const)) +
      diff(expected.late.map((x) => [`${x.partition}:${x.offset}`, 1] as const), late.map(({ message }) => [pos(message, false), 1] as const)) +
      Math.abs(duplicates - expected.duplicates.length);
    // and the books balance: each payload in exactly one place (tumbling windows: a record is in one window)
    const aggregated = gotRows.reduce((a, [, n]) => a + n, 0);
    const pending = expected.pending.reduce((a, x) => a + x.offsets.length, 0);
    const balance = opts.count + PARTITIONS - (dead.length + late.length + aggregated + pending + duplicates);
    const deadByCode: Record<string, number> = {};
    for (const { message } of dead) deadByCode[header(message.headers, 'sluice.error.code')!] = (deadByCode[header(message.headers, 'sluice.error.code')!] ?? 0) + 1;
    return {
      payloads: opts.count,
      dead: deadByCode,
      late: late.length,
      aggregated,
      pending,
      duplicates,
      crashes: crashes.length + metricValue(metrics, 'sluice_transactions_total', { result: 'aborted' }),
      unaccounted: unaccounted + Math.abs(balance),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    for (const c of cleanup.reverse()) await c();
  }
}

/** Records in one multiset of (key, count) and not the other, both ways. */
function diff(want: ReadonlyArray<readonly [string, number]>, got: ReadonlyArray<readonly [string, number]>): number {
  const m = new Map<string, number>();
  for (const [k, n] of want) m.set(k, (m.get(k) ?? 0) + n);
  for (const [k, n] of got) m.set(k, (m.get(k) ?? 0) - n);
  let out = 0;
  for (const n of m.values()) out += Math.abs(n);
  return out;
}

function tryDecode(value: Buffer): Record<string, unknown> | undefined {
  try {
    return pageViewType.fromBuffer(value.subarray(5)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export const summaryLine = (s: FuzzSummary): string =>
  `fuzz: payloads ${s.payloads}, dead letters ${Object.values(s.dead).reduce((a, b) => a + b, 0)} (${Object.entries(s.dead).sort().map(([k, v]) => `${k} ${v}`).join(', ')}), ` +
  `late ${s.late}, aggregated ${s.aggregated} (+${s.pending} in open windows), duplicates dropped ${s.duplicates}, crashes ${s.crashes}, unaccounted ${s.unaccounted} (${s.seconds.toFixed(0)} s)`;
