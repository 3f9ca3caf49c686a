import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/gen/prng.js';
import { keyedPartition, murmur2 } from '../../../src/sink/murmur2.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('murmur2', () => {
  it("matches the Java client's Utils.murmur2 (kafka UtilsTest.testMurmur2)", () => {
    const cases: Array<[string | number[], number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      [[0x61, 0x62, 0x63], 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(typeof key === 'string' ? bytes(key) : Uint8Array.from(key)), String(key)).toBe(hash);
  });

  it("matches akka's vectors for its Kafka-compatible shard allocation (every tail length)", () => {
    // not kafkajs' own spec vectors: those test its legacy partitioner, a different hash
    const cases: Record<string, number> = { '1': -1993445489, '12': 126087238, '123': -267702483, '1234': -1614185708, '12345': -1188365604 };
    for (const [key, hash] of Object.entries(cases)) expect(murmur2(bytes(key)), key).toBe(hash);
  });

  it("picks the partition kafkajs' DefaultPartitioner picks, for many random keys", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const rng = new Rng(42);
    for (const partitions of [1, 3, 6, 7, 64]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0 })) as PartitionMetadata[];
      for (let i = 0; i < 2000; i++) {
        const key = rng.chance(0.5) ? rng.bytes(rng.int(0, 300)) : String.fromCodePoint(...Array.from({ length: rng.int(0, 40) }, () => rng.int(32, 0x2fff)));
        const want = partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
        expect(keyedPartition(key, partitions)).toBe(want);
      }
    }
  });

  it('hashes a 2 MB key in milliseconds (linear time)', () => {
    const key = new Rng(7).bytes(2 << 20);
    murmur2(key.subarray(0, 1024)); // warm up
    const t = performance.now();
    murmur2(key);
    expect(performance.now() - t).toBeLessThan(200); // ~5 ms; kafkajs' takes minutes
  });
});
