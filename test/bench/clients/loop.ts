/**
 * What every client's loop does (kafkajs.ts, platformatic.ts): sluice's hot loop per task without
 * sluice's own work. Read the preloaded topic read_committed in batches of at most `batch` records
 * per partition; per partition-batch ONE transaction from that partition's transactional producer
 * (`<name>-<partition>`): `outputRatio` as many output records as input records (sluice's windows
 * at a catch-up shape), then the offset with a checkpoint-sized metadata string; commit.
 */

export interface LoopOptions {
  brokers: string[];
  topic: string;
  output: string;
  group: string;
  /** Transactional ids are `<name>-<partition>`. */
  name: string;
  partitions: number;
  events: number;
  batch: number;
  outputRatio: number;
  /** The consumer's max wait per fetch, ms (sluice: batch.max_wait). */
  maxWaitMs: number;
  /** kafkajs only: the producers' first retry delay (sluice: SEND_RETRY_MS; kafkajs' default 300). */
  sendRetryMs?: number;
}

export interface LoopResult {
  client: string;
  events: number;
  seconds: number;
  cpuSeconds: number;
  transactions: number;
  produced: number;
  /** What the client could not do as sluice needs it, if anything (the measurement stands, the gap is named). */
  gaps: string[];
}

/** An output record as sluice's topic sink makes it: a group key and an Avro row of about this size. */
export const OUTPUT_VALUE_BYTES = 96;
/** sluice's checkpoint (position, stream time, pending windows, staging token) is about this long. */
export const CHECKPOINT = JSON.stringify({ v: 1, position: 123456789, streamTime: 1767225600000, pending: [[1767225590000, 1767225600000]], staging: 'p0-0123abcd' });

/** How many output records a batch of `n` input records makes. */
export const outputsFor = (n: number, ratio: number): number => Math.max(1, Math.round(n * ratio));

/** `n` output records for `partitions` output partitions: fresh objects per batch, as sluice builds them. */
export function outputRecords(n: number, partitions: number, value: Buffer): Array<{ key: string; value: Buffer; partition: number }> {
  const out = new Array<{ key: string; value: Buffer; partition: number }>(n);
  for (let i = 0; i < n; i++) out[i] = { key: `page-${i}`, value, partition: i % partitions };
  return out;
}

/** Tracks the run: the clock starts at the first record, ends when every event is in a committed transaction. */
export class Progress {
  private start: { t: number; cpu: NodeJS.CpuUsage } | undefined;
  private done = 0;
  transactions = 0;
  produced = 0;
  private finish!: (r: { seconds: number; cpuSeconds: number }) => void;
  readonly finished = new Promise<{ seconds: number; cpuSeconds: number }>((r) => (this.finish = r));

  constructor(private readonly events: number) {}

  started(): void {
    this.start ??= { t: performance.now(), cpu: process.cpuUsage() };
  }

  committed(records: number, produced: number): void {
    this.transactions++;
    this.produced += produced;
    this.done += records;
    if (this.done >= this.events && this.start) {
      const cpu = process.cpuUsage(this.start.cpu);
      this.finish({ seconds: (performance.now() - this.start.t) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
    }
  }

  get records(): number {
    return this.done;
  }
}

/** The worker's options from its one argument (JSON), and its result as one JSON line on stdout. */
export const loopOptions = (): LoopOptions => JSON.parse(process.argv[2] ?? '{}') as LoopOptions;
export const report = (r: LoopResult): void => void process.stdout.write(`${JSON.stringify(r)}\n`);
