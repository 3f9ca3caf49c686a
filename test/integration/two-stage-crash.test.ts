/**
 * Two stages through crashes (docs/keyed-windows.md): `sluice run` processes, the first of each
 * slot killing itself at random crash points of either stage (src/runtime/faults.ts: between
 * append and commit, between offsets and EndTxn, after the commit, mid-publish), then scaled from
 * 2 to 3 replicas and one SIGKILLed by the test, must still commit exactly the keyed oracle:
 * one row per (page, window) on the topic and in Parquet, every dead letter and late record once.
 * Meanwhile stage 2 deletes what it committed from the repartition topic (src/repartition/purge.ts):
 * its log start offsets move, never past the committed offsets the restores replay from.
 */
import { rmSync } from 'node:fs';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Supervisor } from '../chaos/replicas.js';
import { loadTopology } from '../../src/topology/loader.js';
import { oracle } from '../support/oracle.js';
import { crashAndScale } from '../support/crash-scenario.js';
import { writeTopology } from '../support/pipeline.js';
import { endpoints } from '../support/services.js';
import { committed, expectOracleRows, oracleInput, produce, sorted } from '../support/two-stage.js';

const { ConfigResourceTypes } = kafkajs; // CommonJS: not a named export under Node's ESM loader

describe('two stages through crashes', () => {
  const dirs: string[] = [];
  let sup: Supervisor | undefined;
  afterAll(async () => {
    await sup?.killAll();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('replicas killed at crash points of both stages, then 2 → 3 replicas and a SIGKILL: the keyed oracle exactly', { timeout: 300_000 }, async () => {
    const t = writeTopology({ twoStage: true });
    dirs.push(t.dir);
    const input = await produce(t);
    const expected = oracle(oracleInput(input), (await loadTopology(t.file, { checkSql: false })).spec, { keyed: true });
    const { notes, crashed } = await crashAndScale(t.file, t.dir, (s) => (sup = s));

    const out = await committed(t);
    expectOracleRows(out.topic, expected);
    expectOracleRows(out.parquet, expected);
    expect(out.dlq).toEqual(sorted(expected.deadLetters));
    expect(out.late).toEqual(sorted(expected.late));
    expect(crashed().length, notes.join('\n')).toBeGreaterThan(0);

    // the repartition topic: kept without a time limit, and purged up to what stage 2 committed
    const kafka = new Kafka({ brokers: endpoints().brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: t.repartition, configNames: ['retention.ms'] }] });
      expect(resources[0]!.configEntries[0]!.configValue).toBe('-1');
      const logStart = await admin.fetchTopicOffsets(t.repartition);
      const groupOffsets = (await admin.fetchOffsets({ groupId: t.group, topics: [t.repartition] }))[0]!.partitions;
      const committedOf = new Map(groupOffsets.map((p) => [p.partition, Number(p.offset)]));
      for (const p of logStart) expect(Number(p.low), `partition ${p.partition}: purged no further than committed`).toBeLessThanOrEqual(committedOf.get(p.partition)!);
      expect(logStart.filter((p) => Number(p.low) > 0).length, 'purged partitions').toBeGreaterThan(0);
    } finally {
      await admin.disconnect();
    }
  });
});
