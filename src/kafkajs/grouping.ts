/**
 * kafkajs groups a send's messages per partition with `[...current, message]` per message
 * (src/producer/groupMessagesPerPartition.js), quadratic in the messages of one partition: 300k
 * rows of a big window into one partition blocked the event loop ~110 s. This replaces the module's
 * export with a linear grouping before kafkajs' producer requires it, so import this module before
 * anything imports kafkajs (the CLI's entry and the integration tests' setup do).
 */
import { createRequire } from 'node:module';

type Message = { partition?: number | null };
type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: Message }) => number;
interface GroupArgs { topic: string; partitionMetadata: unknown[]; messages: Message[]; partitioner: Partitioner }

/** Same result as kafkajs' groupMessagesPerPartition, in linear time. */
export function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: GroupArgs): Record<number, Message[]> {
  if (partitionMetadata.length === 0) return {};
  const out: Record<number, Message[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (out[partition] ??= []).push(message);
  }
  return out;
}

const require = createRequire(import.meta.url);
const groupingPath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
const sendPath = require.resolve('kafkajs/src/producer/sendMessages.js');

/** True when kafkajs' producer uses the linear grouping (false if kafkajs was loaded before this module). */
export function linearGroupingActive(): boolean {
  return require(groupingPath) === groupMessagesPerPartition && require.cache[sendPath] !== undefined;
}

if (require.cache[sendPath] === undefined) {
  require(groupingPath);
  require.cache[groupingPath]!.exports = groupMessagesPerPartition;
} else if (require(groupingPath) !== groupMessagesPerPartition) {
  process.emitWarning('kafkajs was loaded before src/kafkajs/grouping.ts: sends keep its quadratic grouping per partition', { code: 'SLUICE_KAFKAJS_GROUPING' });
}
