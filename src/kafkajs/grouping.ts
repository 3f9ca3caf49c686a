/**
 * kafkajs groups a send's messages per partition with `[...current, message]` per message
 * (src/producer/groupMessagesPerPartition.js), quadratic in the messages of one partition: 300k
 * rows of a big window into one partition blocked the event loop ~110 s. This replaces the module's
 * export with a linear grouping before kafkajs' producer requires it, so import this module before
 * anything imports kafkajs (the CLI's entry and the integration tests' setup do).
 */
import { replaceExport } from './replace-export.js';

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

/** True when kafkajs' producer uses the linear grouping (false if kafkajs was loaded before this module). */
export const linearGroupingActive = replaceExport('producer/groupMessagesPerPartition.js', 'producer/sendMessages.js', groupMessagesPerPartition, {
  message: 'kafkajs was loaded before src/kafkajs/grouping.ts: sends keep its quadratic grouping per partition',
  code: 'SLUICE_KAFKAJS_GROUPING',
});
