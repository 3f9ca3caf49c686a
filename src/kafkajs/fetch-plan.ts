/**
 * When a node's fetcher sends its next fetch, and for which partitions (src/kafkajs/fetcher.ts):
 * the pure part, no I/O. A partition is busy from the moment a fetch request claims it until its
 * batch has been handled (its offset resolved); a fetch asks only for partitions that are not busy,
 * so a partition never has two batches in flight or in processing, and each fetch starts at the
 * offset its previous batch resolved. A fetch goes out
 *   - as a long poll (the consumer's maxWaitTimeInMs) when nothing else runs: kafkajs' own loop;
 *   - at once, not waiting for data (max wait 0), when a partition that fetched records was handled
 *     (or a claimed partition came back without a batch) while others are still busy.
 * The broker answers a connection's requests one at a time (a long poll holds the ones behind it),
 * so a fetch sent while others run never long-polls; a partition whose last fetch was empty waits
 * for the next fetch that something else starts, or for the long poll once all is quiet.
 */

/** One fetch request: the partitions it asked for. */
export interface FetchTicket {
  /** Wait up to the consumer's maxWaitTimeInMs for data (true), or answer at once (false). */
  readonly longPoll: boolean;
  readonly claimed: Set<string>;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}|${partition}`;

export class FetchPlan {
  /** Claimed by a fetch in flight, or with a batch queued or in processing. */
  private readonly busy = new Set<string>();
  private fetching = 0;
  private processing = 0;
  private recovering = 0;
  /** A partition became free with records likely behind it: worth a fetch now. */
  private wanted = false;
  private readonly waiters: Array<{ until: () => boolean; resolve: () => void }> = [];

  /** The fetch to send now, or undefined: none while a failed fetch recovers. */
  next(): FetchTicket | undefined {
    if (this.recovering > 0) return undefined;
    const idle = this.fetching === 0 && this.processing === 0;
    if (!idle && !this.wanted) return undefined;
    this.wanted = false;
    this.fetching++;
    return { longPoll: idle, claimed: new Set() };
  }

  isBusy(key: string): boolean {
    return this.busy.has(key);
  }

  /** The request of `ticket` asks for this partition. */
  claim(ticket: FetchTicket, key: string): void {
    if (this.busy.has(key)) throw new Error(`partition ${key} claimed twice`);
    this.busy.add(key);
    ticket.claimed.add(key);
  }

  /** The fetch came back (or failed: no batches); the partitions of `batches` are handled next, the other claimed ones are free. */
  answered(ticket: FetchTicket, batches: readonly string[]): void {
    this.fetching--;
    for (const key of batches) {
      this.busy.add(key);
      this.processing++;
    }
    for (const key of ticket.claimed) {
      if (batches.includes(key)) continue;
      this.busy.delete(key);
      this.wanted = true; // a seek or a pause dropped its batch: fetch it again from its new position
    }
    this.changed();
  }

  /** A partition's batch was handled; `fetchedRecords`: the broker returned records for it (not an empty fetch). */
  done(key: string, fetchedRecords: boolean): void {
    this.processing--;
    this.busy.delete(key);
    if (fetchedRecords) this.wanted = true;
    this.changed();
  }

  /** Nothing in flight, nothing in processing. */
  get settled(): boolean {
    return this.fetching === 0 && this.processing === 0;
  }

  /**
   * A failed fetch's recovery (kafkajs' recoverFromFetch: a rejoin, a metadata refresh, an offset
   * reset) runs as it did behind kafkajs' barrier: no batch in processing, no other fetch in flight
   * unless it recovers too, and no new fetch until it is done.
   */
  async recover<T>(recovery: () => Promise<T>): Promise<T> {
    this.recovering++;
    try {
      await this.until(() => this.processing === 0 && this.fetching === this.recovering);
      return await recovery();
    } finally {
      this.recovering--;
      this.changed();
    }
  }

  /** Resolves once `condition` holds, checked now and after each change (call changed() for outside conditions). */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ until: condition, resolve }));
  }

  changed(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (!w.until()) continue;
      this.waiters.splice(i, 1);
      w.resolve();
    }
  }
}
