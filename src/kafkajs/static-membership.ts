/**
 * Static group membership (KIP-345) for kafkajs' consumer:
 * https://cwiki.apache.org/confluence/display/KAFKA/KIP-345%3A+Introduce+static+membership+protocol+to+reduce+consumer+rebalances
 * kafkajs' protocol layer encodes `group.instance.id` (JoinGroup v5, SyncGroup v3, Heartbeat v3,
 * LeaveGroup v3) but its consumer never passes it. A consumer made by `staticConsumer` sends it in
 * those four requests: a replica restarted with the same id takes its old member's place (and
 * partitions) at once instead of waiting for the old member's session to time out, and the other
 * members keep theirs without a rebalance. This replaces the export of kafkajs' consumer factory
 * (src/consumer/index.js) before kafkajs requires it, so import it before anything imports kafkajs,
 * like ./grouping.ts. Nothing else changes: the consumer's group coordinator is wrapped so that the
 * four requests get the id, built by kafkajs' own request code.
 */
import { createRequire } from 'node:module';
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';

const require = createRequire(import.meta.url);
const consumerPath = require.resolve('kafkajs/src/consumer/index.js');
const kafkaPath = require.resolve('kafkajs/src/index.js');
const { JoinGroup, SyncGroup, Heartbeat, LeaveGroup } = require('kafkajs/src/protocol/requests/apiKeys.js') as Record<string, number>;
/** The first version of each request that carries group_instance_id (Kafka 2.3). */
const FIRST_VERSION = new Map([[JoinGroup!, 5], [SyncGroup!, 3], [Heartbeat!, 3], [LeaveGroup!, 3]]);

type Build = (args: Record<string, unknown>) => { request: { apiVersion: number } };
interface Broker { lookupRequest(apiKey: number, definition: unknown): Build }
interface Cluster { findGroupCoordinator(args: { groupId: string }): Promise<Broker> }
type CreateConsumer = (opts: { cluster: Cluster; groupId: string }) => Consumer;

/** The coordinator as the consumer sees it: the group requests it builds carry the instance id. */
export function withInstanceId<B extends Broker>(broker: B, groupInstanceId: string): B {
  return new Proxy(broker, {
    get(target, prop, receiver) {
      if (prop !== 'lookupRequest') return Reflect.get(target, prop, receiver);
      return (apiKey: number, definition: unknown): Build => {
        const build = target.lookupRequest(apiKey, definition);
        const first = FIRST_VERSION.get(apiKey);
        if (first === undefined) return build;
        return (args) => {
          const built = build({ ...args, groupInstanceId });
          // an older broker would take the member as a dynamic one: say so instead
          if (built.request.apiVersion < first) throw new Error(`the broker does not support static group membership (group.instance.id needs Kafka 2.3 or later; request version ${built.request.apiVersion})`);
          return built;
        };
      };
    },
  });
}

let pending: string | undefined;
let taken = false;
const createConsumer: CreateConsumer | undefined = require.cache[kafkaPath] === undefined ? (require(consumerPath) as CreateConsumer) : undefined;
if (createConsumer) {
  require.cache[consumerPath]!.exports = ((opts) => {
    const id = pending;
    if (id !== undefined) {
      taken = true;
      // this consumer's own cluster (kafka.consumer makes one per consumer): the producers' and admin's are untouched
      const find = opts.cluster.findGroupCoordinator.bind(opts.cluster);
      opts.cluster.findGroupCoordinator = async (args) => withInstanceId(await find(args), id);
    }
    return createConsumer(opts);
  }) satisfies CreateConsumer;
} else {
  process.emitWarning('kafkajs was loaded before src/kafkajs/static-membership.ts: consumers cannot use a group instance id', { code: 'SLUICE_KAFKAJS_STATIC' });
}

/** `kafka.consumer(config)`, a static member of its group when `groupInstanceId` is set (else a dynamic one, as kafkajs makes it). */
export function staticConsumer(kafka: Kafka, { groupInstanceId, ...config }: ConsumerConfig & { groupInstanceId?: string }): Consumer {
  if (groupInstanceId === undefined) return kafka.consumer(config);
  pending = groupInstanceId;
  taken = false;
  try {
    const consumer = kafka.consumer(config);
    if (!taken) throw new Error('static group membership is not active: kafkajs was loaded before src/kafkajs/static-membership.ts');
    return consumer;
  } finally {
    pending = undefined;
  }
}
