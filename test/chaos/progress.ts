/**
 * How far the group got, from the broker (not from the replicas): per partition, the position of
 * the last committed checkpoint (the `pos` of the offset metadata, see src/commit/checkpoint.ts)
 * against the partition's end. The committed offset itself stays at the low-water mark of the
 * open windows, so it never reaches the end: the checkpoint's position does.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';

export interface GroupProgress { positions: Map<number, number>; ends: Map<number, number>; done: boolean; total: number }

export class ProgressProbe {
  private admin: Admin | undefined;
  constructor(private readonly brokers: string[], private readonly group: string, private readonly topic: string) {}

  private async client(): Promise<Admin> {
    if (!this.admin) {
      const admin = new Kafka({ clientId: 'sluice-chaos-probe', brokers: this.brokers, logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /** undefined while the broker does not answer. */
  async read(): Promise<GroupProgress | undefined> {
    try {
      const admin = await this.client();
      const [committed] = await admin.fetchOffsets({ groupId: this.group, topics: [this.topic] });
      const ends = new Map((await admin.fetchTopicOffsets(this.topic)).map((p) => [p.partition, Number(p.high)]));
      const positions = new Map<number, number>();
      for (const p of committed?.partitions ?? []) {
        const meta = (p as { metadata?: string | null }).metadata;
        let pos = Number(p.offset) >= 0 ? Number(p.offset) : 0;
        try {
          const parsed = JSON.parse(meta ?? '') as { pos?: number };
          if (typeof parsed.pos === 'number') pos = Math.max(pos, parsed.pos);
        } catch { /* no checkpoint yet */ }
        positions.set(p.partition, pos);
      }
      const done = [...ends].every(([p, end]) => (positions.get(p) ?? 0) >= end);
      return { positions, ends, done, total: [...positions.values()].reduce((a, b) => a + b, 0) };
    } catch {
      await this.close();
      return undefined;
    }
  }

  async close(): Promise<void> {
    const a = this.admin;
    this.admin = undefined;
    await a?.disconnect().catch(() => undefined);
  }
}
