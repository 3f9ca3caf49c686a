/**
 * kafkajs' read_committed filter (src/consumer/filterAbortedMessages.js) lets records of aborted
 * transactions through when a fetch starts inside several of them: it activates at most ONE
 * aborted transaction per record it looks at (`if`, not `while`), so in a partition where several
 * producers' transactions were aborted together (a replica killed with a stage-1 transaction open
 * in every repartition partition) the first records of the others pass as committed. Stage 2 then
 * counted records twice (found by the two-stage chaos run). This replaces the module's export with
 * the Java consumer's rule before kafkajs' consumer requires it: every aborted transaction whose
 * first offset is at or below the record's offset is active until its producer's abort marker
 * (https://github.com/apache/kafka/blob/trunk/clients/src/main/java/org/apache/kafka/clients/consumer/internals/CompletedFetch.java,
 * abortedProducerIds / consumeAbortedTransactionsUpTo). Import this module before anything imports
 * kafkajs (the CLI's entry and the tests' setup do), like ./grouping.ts.
 */
import { replaceExport } from './replace-export.js';

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]); // control record key: version 0, type 0 = ABORT

interface FetchedMessage {
  offset: string;
  key?: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean; isControlBatch?: boolean };
}
interface AbortedTransaction { producerId: string; firstOffset: string }

/** The messages that did not take part in an aborted transaction, in their order (control records kept: kafkajs drops them next). */
export function filterAbortedMessages<M extends FetchedMessage>({ messages, abortedTransactions }: { messages: M[]; abortedTransactions?: AbortedTransaction[] }): M[] {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const pending = [...abortedTransactions].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : BigInt(a.firstOffset) > BigInt(b.firstOffset) ? 1 : 0));
  const aborted = new Set<string>();
  let next = 0;
  return messages.filter((m) => {
    const offset = BigInt(m.offset);
    while (next < pending.length && offset >= BigInt(pending[next]!.firstOffset)) aborted.add(pending[next++]!.producerId);
    const { producerId, inTransaction, isControlBatch } = m.batchContext;
    if (isControlBatch || m.isControlRecord) {
      if (m.key && Buffer.from(m.key).equals(ABORT_MARKER_KEY)) aborted.delete(producerId);
      return true;
    }
    return !(inTransaction && aborted.has(producerId));
  });
}

/** True when kafkajs' consumer uses this filter (false if kafkajs was loaded before this module). */
export const abortedFilterActive = replaceExport('consumer/filterAbortedMessages.js', 'consumer/batch.js', filterAbortedMessages, {
  message: 'kafkajs was loaded before src/kafkajs/aborted.ts: read_committed may let records of aborted transactions through',
  code: 'SLUICE_KAFKAJS_ABORTED',
});
