/**
 * In-batch dedup, before Redis: within one batch the first occurrence of a key (by offset) wins.
 * Pure, so the rule is tested without a service; Redis then only sees each key once per batch.
 */

/** One record to deduplicate: its dedup key and its source position `<partition>:<offset>`. */
export interface DedupEntry {
  key: string;
  position: string;
}

export interface InBatchDuplicate {
  /** Index of the duplicate in the input. */
  index: number;
  /** Index of the first occurrence of the same key, which wins. */
  firstIndex: number;
}

export interface BatchDedup {
  /** Indexes of first occurrences, ascending. */
  firsts: number[];
  /** Later occurrences of a key already seen in this batch, ascending by index. */
  duplicates: InBatchDuplicate[];
}

/** `entries` must be in offset order (as a partition's batch is), so index order is offset order. */
export function dedupBatch(entries: readonly DedupEntry[]): BatchDedup {
  const seen = new Map<string, number>();
  const firsts: number[] = [];
  const duplicates: InBatchDuplicate[] = [];
  for (let i = 0; i < entries.length; i++) {
    const key = entries[i]!.key;
    const firstIndex = seen.get(key);
    if (firstIndex === undefined) {
      seen.set(key, i);
      firsts.push(i);
    } else {
      duplicates.push({ index: i, firstIndex });
    }
  }
  return { firsts, duplicates };
}
