/**
 * kafkajs' fetcher (src/consumer/fetcher.js) fetches every assigned partition of a node, hands the
 * batches to the workers and sends the next fetch only once every batch was handled: each round
 * pays the slowest partition's tail, then a whole fetch round trip with nothing processing. This
 * replaces that module's export with a fetcher that fetches a partition again as soon as its batch
 * was handled, while the others are still processing (fetch-plan.ts says when, and with which max
 * wait), as the Java consumer fetches for every partition without buffered data
 * (https://github.com/apache/kafka/blob/trunk/clients/src/main/java/org/apache/kafka/clients/consumer/internals/AbstractFetch.java,
 * fetchablePartitions). Everything else is kafkajs' own code: ./fetch-scope.ts runs its
 * ConsumerGroup.fetch for the partitions the plan lets through. Import this module before anything
 * imports kafkajs (the CLI's entry and the tests' setup do), like ./aborted.ts.
 */
import { replaceExport } from './replace-export.js';
import { FetchPlan, partitionKey, type FetchTicket } from './fetch-plan.js';
import { fetchScoped } from './fetch-scope.js';

interface Batch { topic: string; partition: number; rawMessages: unknown[] }
interface Logger { info(message: string, extra?: object): void; namespace(name: string): Logger }
interface Item { batch: Batch; resolve(): void; reject(error: unknown): void }
interface Worker { run(queue: { next(): Item | undefined }): Promise<void> }
interface WorkerQueue { getWorkers(): Worker[] }
interface FetcherOptions {
  nodeId: number;
  workerQueue: WorkerQueue;
  /** Shared by the fetchers of every node: which fetcher's batch of a partition is in processing. */
  partitionAssignments: Map<string, number>;
  fetch: (nodeId: number) => Promise<Batch[]>;
  logger: Logger;
}

// the consumer's workers (partitionsConsumedConcurrently) take batches from one queue, as kafkajs'
// workerQueue does; its push() resolves only once every batch given was handled, so batches go here
const queues = new WeakMap<WorkerQueue, Item[]>();

/** Hands `batches` to the workers; each promise settles once its batch was handled. */
function enqueue(workerQueue: WorkerQueue, batches: Batch[]): Array<Promise<void>> {
  let queue = queues.get(workerQueue);
  if (!queue) queues.set(workerQueue, (queue = []));
  const items = queue;
  const handled = batches.map((batch) => new Promise<void>((resolve, reject) => items.push({ batch, resolve, reject })));
  const run = () => {
    for (const worker of workerQueue.getWorkers()) void worker.run({ next: () => items.shift() });
  };
  run();
  // a worker that found the queue empty in this same turn is still ending (its run() returns the old
  // promise until then): the next turn starts it again, if batches are left
  if (items.length > 0) setImmediate(run);
  return handled;
}

/** Same interface and contract as kafkajs' createFetcher: start() ends (or throws) once stopped and every batch was handled. */
export function createFetcher({ nodeId, workerQueue, partitionAssignments, fetch, logger: rootLogger }: FetcherOptions) {
  const logger = rootLogger.namespace(`Fetcher ${nodeId}`);
  const plan = new FetchPlan();
  let isRunning = false;
  let failure: { error: unknown } | undefined;
  let scheduled = false;

  const keyOf = (b: Batch) => partitionKey(b.topic, b.partition);
  // a partition whose leader moved may still be in processing from the other node's fetcher (as kafkajs)
  const ownable = (b: Batch) => {
    const owner = partitionAssignments.get(keyOf(b));
    if (owner == null || owner === nodeId) return true;
    logger.info('Filtering out batch due to partition already being processed by another fetcher', { topic: b.topic, partition: b.partition, assignedFetcher: owner, fetcher: nodeId });
    return false;
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    isRunning = false;
    plan.changed();
  };

  // completions of one turn of the event loop share a fetch
  const schedule = () => {
    if (scheduled || !isRunning) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const ticket = isRunning ? plan.next() : undefined;
      if (ticket) void send(ticket);
    });
  };

  const send = async (ticket: FetchTicket) => {
    let batches: Batch[];
    try {
      batches = await fetchScoped(plan, ticket, () => fetch(nodeId));
    } catch (error) {
      plan.answered(ticket, []);
      fail(error);
      return;
    }
    // fetched after a stop: dropped, as kafkajs does
    const taken = isRunning ? batches.filter(ownable) : [];
    plan.answered(ticket, taken.map(keyOf));
    for (const batch of taken) partitionAssignments.set(keyOf(batch), nodeId);
    const handled = enqueue(workerQueue, taken);
    taken.forEach((batch, i) => void settle(batch, handled[i]!));
    schedule();
  };

  const settle = async (batch: Batch, handled: Promise<void>) => {
    const key = keyOf(batch);
    try {
      await handled;
    } catch (error) {
      fail(error);
    } finally {
      partitionAssignments.delete(key);
      plan.done(key, batch.rawMessages.length > 0);
      schedule();
    }
  };

  const start = async () => {
    if (isRunning) return;
    isRunning = true;
    failure = undefined;
    schedule();
    await plan.until(() => !isRunning && plan.settled);
    const failed = failure as { error: unknown } | undefined; // set by fail() meanwhile
    if (failed) throw failed.error;
  };

  const stop = async () => {
    isRunning = false;
    plan.changed();
    await plan.until(() => plan.settled);
  };

  return { start, stop, getWorkerQueue: () => workerQueue };
}

/** True when kafkajs' consumer uses this fetcher (false if kafkajs was loaded before this module). */
export const pipelinedFetchActive = replaceExport('consumer/fetcher.js', 'consumer/fetchManager.js', createFetcher, {
  message: "kafkajs was loaded before src/kafkajs/fetcher.ts: its consumer fetches again only once every partition's batch was handled",
  code: 'SLUICE_KAFKAJS_FETCHER',
});
