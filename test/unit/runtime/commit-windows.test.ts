/**
 * Steps 6 and 7 of a close run at once (commit-windows.ts): the transaction's records are sent
 * while the files are staged, the commit waits for both and names the staged files, and either
 * failing fails the batch with nothing committed and the staged files discarded.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { commitClosedWindows, type WindowTask } from '../../../src/runtime/commit-windows.js';
import type { ReplicaContext } from '../../../src/runtime/context.js';
import { SluiceError } from '../../../src/errors.js';
import type { Sink } from '../../../src/sink/types.js';

const window = { start: 0, end: 10_000 };

/** A task with one closable window and a fake transaction and sink, both logging what happens in order. */
function setup(opts: { stageFails?: boolean; sendFails?: boolean } = {}) {
  const events: string[] = [];
  let releaseStage!: () => void;
  const stageGate = new Promise<void>((r) => (releaseStage = r));
  let closable = [window];
  const sink: Sink = {
    kind: 'parquet',
    stage: async (_closed, token) => {
      events.push(`stage start ${token}`);
      await stageGate;
      if (opts.stageFails) throw new SluiceError('INTERNAL', 'disk full');
      events.push('stage done');
    },
    messages: async () => [{ topic: 'out', messages: [{ key: 'k', value: 'v' }] }],
    discard: async (token) => void events.push(`discard ${token}`),
    publish: async () => void events.push('publish'),
  };
  const txn = {
    begin: async () => void events.push('begin'),
    send: async (topic: string) => {
      events.push(`send ${topic}`);
      if (topic === 'out') releaseStage(); // the records were sent before the files were staged
      if (opts.sendFails && topic === 'out') throw new SluiceError('INTERNAL', 'broker said no');
    },
    commit: async (offsets: { metadata: string }) => void events.push(`commit ${offsets.metadata}`),
  };
  const task = {
    partition: 3,
    topic: 'in',
    log: pino({ level: 'silent' }),
    txn,
    table: { aggregate: async () => [{ page: '/a' }], rejectedByHaving: 0, writeParquet: async () => 1, drop: async () => void events.push('drop') },
    nextOffset: 42,
    windows: {
      closable: () => closable,
      closesAt: (w: typeof window) => w.end,
      files: (ws: typeof closable, seq: number) => (ws.length === 0 ? [] : [{ start: 0, end: 10_000, windows: ws, seq }]),
      markClosed: () => void ((closable = []), events.push('markClosed')),
      lowWaterMark: (n: number) => n,
    },
    pendingThatFit: (files: readonly unknown[]) => files.length,
    checkpoint: (_pending: unknown, staging: string | undefined) => `checkpoint ${staging}`,
  } as unknown as WindowTask;
  const ctx = {
    topology: { spec: { source: { group: 'g' }, dead_letter: 'dlq', late: 'late', transaction_timeout: 60_000 } },
    sinks: [sink],
    metrics: { closeStep: () => undefined, transaction: () => undefined, windowsEmitted: () => undefined, havingRejected: () => undefined, outage: () => undefined },
    kafkaLog: { recovered: () => undefined },
    log: pino({ level: 'silent' }),
    maxMessageBytes: () => 1 << 20,
    signal: new AbortController().signal,
  } as unknown as ReplicaContext;
  return { events, run: () => commitClosedWindows(ctx, task, [], []) };
}

describe('a close: staging and the transaction\'s sends at once', () => {
  it('sends while the files are staged, then commits a checkpoint naming them, then publishes', async () => {
    const { events, run } = setup();
    await run();
    const token = /^stage start (\S+)$/.exec(events[0]!)![1];
    expect(events).toEqual([`stage start ${token}`, 'begin', 'send out', 'stage done', 'send dlq', 'send late', 'markClosed', `commit checkpoint ${token}`, 'publish', 'drop']);
  });

  it('a staging failure fails the batch after the sends settle: no commit, the files discarded', async () => {
    const { events, run } = setup({ stageFails: true });
    await expect(run()).rejects.toThrow('disk full');
    expect(events.some((e) => e.startsWith('commit'))).toBe(false);
    expect(events).toContain('send late'); // settled, not left running under the caller's abort
    expect(events.at(-1)).toMatch(/^discard p3-/);
  });

  it('a send failure fails the batch once the staging is done: no commit, the files discarded', async () => {
    const { events, run } = setup({ sendFails: true });
    await expect(run()).rejects.toThrow('broker said no');
    expect(events.some((e) => e.startsWith('commit') || e === 'markClosed')).toBe(false);
    expect(events).toContain('stage done'); // awaited before the discard
    expect(events.at(-1)).toMatch(/^discard p3-/);
  });
});
