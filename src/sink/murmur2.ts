/**
 * Kafka's murmur2 key hash in 32-bit arithmetic: the same value as the Java client's
 * Utils.murmur2 (https://github.com/apache/kafka/blob/trunk/clients/src/main/java/org/apache/kafka/common/utils/Utils.java)
 * and kafkajs' DefaultPartitioner, in linear time. kafkajs multiplies BigInts without truncating
 * them to 32 bits, so its hash grows by ~4 bytes per key word and costs O(n²) (2 MB: minutes).
 */
const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/** Utils.murmur2(data) as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const words = length & ~3;
  for (let i = 0; i < words; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= data[words + 2]! << 16;
    // falls through
    case 2:
      h ^= data[words + 1]! << 8;
    // falls through
    case 1:
      h ^= data[words]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The Java client's (and kafkajs') partition of a keyed record: toPositive(murmur2(key)) % partitions. */
export function keyedPartition(key: string | Uint8Array, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
