/**
 * kafkajs' ConsumerGroup.fetch (src/consumer/consumerGroup.js), run for one FetchTicket of
 * ./fetch-plan.ts: the same code — its stale-assignment check, seeks, offsets, request, batches and
 * recovery — on a view of the group that leaves out the partitions busy in the plan, claims the
 * ones it asks for, waits for data only when the ticket long-polls, and holds a failed fetch's
 * recovery until the plan is quiet. Its callers in between (kafkajs' fetchManager and
 * Runner.fetch) pass the node id only, so the ticket is handed over synchronously: their code up to
 * ConsumerGroup.fetch runs without an await.
 */
import { createRequire } from 'node:module';
import { partitionKey, type FetchPlan, type FetchTicket } from './fetch-plan.js';

type TopicPartitions = Array<{ topic: string; partitions: number[] }>;
interface Group {
  maxWaitTime: number;
  offsetManager: { committedOffsets(): Record<string, Record<number, unknown> | undefined> };
  seekOffsets(topicPartitions: TopicPartitions): Promise<void>;
  getActiveTopicPartitions(): Record<string, Set<number>>;
  recoverFromFetch(error: unknown): Promise<void>;
  fetch(nodeId: number): Promise<unknown[]>;
}

const require = createRequire(import.meta.url);
let handoff: { plan: FetchPlan; ticket: FetchTicket } | undefined;
let installed = false;

/** Runs `fetch` (which reaches ConsumerGroup.fetch without an await) for `ticket`. */
export function fetchScoped<T>(plan: FetchPlan, ticket: FetchTicket, fetch: () => Promise<T>): Promise<T> {
  install();
  handoff = { plan, ticket };
  try {
    return fetch();
  } finally {
    handoff = undefined;
  }
}

/** Wraps ConsumerGroup.fetch once, when the first fetcher runs (kafkajs' consumer is loaded by then, whatever the import order). */
function install(): void {
  if (installed) return;
  installed = true;
  const ConsumerGroup = require(require.resolve('kafkajs/src/consumer/consumerGroup.js')) as { prototype: Group };
  const original = ConsumerGroup.prototype.fetch;
  ConsumerGroup.prototype.fetch = function (this: Group, nodeId: number) {
    const scope = handoff;
    handoff = undefined;
    return original.call(scope ? view(this, scope.plan, scope.ticket) : this, nodeId);
  };
}

/** The group as ConsumerGroup.fetch sees it for one ticket; writes go to the group itself. */
function view(group: Group, plan: FetchPlan, ticket: FetchTicket): Group {
  let nodePartitions: TopicPartitions = [];
  const free = (tps: TopicPartitions): TopicPartitions => tps.map(({ topic, partitions }) => ({ topic, partitions: partitions.filter((p) => !plan.isBusy(partitionKey(topic, p))) }));
  const overrides: Partial<Group> = {
    maxWaitTime: ticket.longPoll ? group.maxWaitTime : 0,
    // fetch calls this with the node's assigned partitions first; a seek of a partition in
    // processing waits for its batch (kafkajs applied seeks between fetches, when none was)
    seekOffsets: (tps) => {
      nodePartitions = tps;
      return group.seekOffsets(free(tps));
    },
    // called right before the request is built, in the same synchronous run: what it asks for is
    // the node's partitions that are active, not busy and have an offset (fetch's own filter)
    getActiveTopicPartitions: () => {
      const active = group.getActiveTopicPartitions();
      const committed = group.offsetManager.committedOffsets();
      for (const { topic, partitions } of nodePartitions) {
        for (const p of partitions) {
          const key = partitionKey(topic, p);
          if (plan.isBusy(key)) active[topic]?.delete(p);
          else if (active[topic]?.has(p) && committed[topic]?.[p] != null) plan.claim(ticket, key);
        }
      }
      return active;
    },
    recoverFromFetch: (error) => plan.recover(() => group.recoverFromFetch(error)),
  };
  return new Proxy(group, {
    get: (target, prop) => (Object.hasOwn(overrides, prop) ? overrides[prop as keyof Group] : Reflect.get(target, prop)),
    set: (target, prop, value) => Reflect.set(target, prop, value),
  });
}
