/**
 * In-batch dedup, before Redis: within one batch the first occurrence of a key (by offset) wins.
 * Pure, so the rule is tested without a service; Redis then only sees each key once per batch.
 */

/** One record to deduplicate: its dedup key and its source position `<partition>:<offset>`. */
export interface DedupEntry {
  key: string;
  position: string;
}

/**
 * Indexes of the first occurrence of each key, ascending; every other index is an in-batch
 * duplicate. `entries` must be in offset order (as a partition's batch is).
 */
export function firstOccurrences(entries: readonly DedupEntry[]): number[] {
  const seen = new Set<string>();
  const firsts: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    const key = entries[i]!.key;
    if (seen.has(key)) continue;
    seen.add(key);
    firsts.push(i);
  }
  return firsts;
}
