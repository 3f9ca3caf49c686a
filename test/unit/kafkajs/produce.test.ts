import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRequire } from 'node:module';
import { encodeProduce, fastProduceActive, kafkajsProduceRequest, produceRequest, type ProduceArgs } from '../../../src/kafkajs/produce.js';

const Long = createRequire(import.meta.url)('kafkajs/src/utils/long.js') as { fromValue(v: unknown): unknown };

const bytesOf = async (args: ProduceArgs, encode: (a: ProduceArgs) => { encode(): Promise<{ buffer: Buffer }> }) => (await encode(args).encode()).buffer;

function args(messages: ProduceArgs['topicData'][number]['partitions'][number]['messages'][], over: Partial<ProduceArgs> = {}): ProduceArgs {
  return {
    acks: -1,
    timeout: 30_000,
    transactionalId: 'sluice-t-3',
    producerId: Long.fromValue('123456789012'),
    producerEpoch: 7,
    compression: 0,
    topicData: [
      { topic: 'out', partitions: messages.map((m, i) => ({ partition: i * 2, firstSequence: 40 + i, messages: m })) },
      { topic: 'dlq-é', partitions: [{ partition: 5, messages: messages[0]!.slice(0, 3) }] },
    ],
    ...over,
  };
}

const big = Buffer.alloc(20_000, 7);
const records = Array.from({ length: 300 }, (_, i) => ({ key: i % 3 === 0 ? `/page/${i}` : i % 3 === 1 ? Buffer.from([i & 255, 1]) : null, value: i % 50 === 0 ? big : Buffer.from(`v${i}`.repeat(i % 90)) }));
const withHeaders = [
  { key: 'k', value: 'plain string value ü', headers: { 'sluice.source.topic': 'in', 'sluice.source.offset': '17', multi: ['a', Buffer.from('bb')], bin: Buffer.from([0, 255]) } },
  { key: null, value: null, headers: {} },
  { key: '', value: Buffer.alloc(0) },
];

describe('produce request encoding', () => {
  beforeEach(() => void vi.spyOn(Date, 'now').mockReturnValue(1_764_000_000_123));
  afterEach(() => void vi.restoreAllMocks());

  it('is what kafkajs producers use (the setup file loads it before kafkajs)', () => {
    expect(fastProduceActive()).toBe(true);
  });

  it('writes the bytes kafkajs writes', async () => {
    for (const a of [args([records, withHeaders]), args([withHeaders], { transactionalId: null, producerId: undefined, producerEpoch: undefined }), args([[]]), args([records.slice(0, 1)], { transactionalId: undefined, producerId: -1 })]) {
      expect(encodeProduce(a)).toBeDefined();
      expect(await bytesOf(a, produceRequest)).toEqual(await bytesOf(a, kafkajsProduceRequest));
    }
  });

  it('leaves what it does not encode to kafkajs', async () => {
    const other = [
      args([[{ key: 'k', value: 'v', timestamp: '1764000000000' }]]),
      args([[{ key: 'k', value: 'v', headers: { n: 5 } as never }]]),
      args([[{ key: 5 as never, value: 'v' }]]),
      args([[{ key: 'k', value: 'v', headers: { u: undefined } as never }]]),
    ];
    for (const a of other) expect(encodeProduce(a)).toBeUndefined();
    expect(await bytesOf(other[0]!, produceRequest)).toEqual(await bytesOf(other[0]!, kafkajsProduceRequest));
    const gzip = args([records.slice(0, 10)], { compression: 1 });
    expect(await bytesOf(gzip, produceRequest)).toEqual(await bytesOf(gzip, kafkajsProduceRequest));
  });
});
