/**
 * Starting a replica while Kafka or the registry is down (a broker restarting, every replica of a
 * Deployment starting at once) waits for them like a running replica does: one line when the
 * outage starts, one when it ends, the gauge meanwhile; bounded by --startup-timeout, after which
 * the error says that sluice gave up. Wrong credentials or a missing topic are not waited for.
 */
import { kafkaFailure } from '../connection/kafka.js';
import type { KafkaSecurity } from '../connection/types.js';
import { SluiceError } from '../errors.js';
import { type OutageScope, withDependency } from './outage.js';

/** kafkajs errors that a broker coming back resolves; authentication, authorization and TLS never do. */
const OUTAGES = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound', 'KafkaJSMetadataNotLoaded', 'KafkaJSGroupCoordinatorNotFound', 'KafkaJSLockTimeout', 'KafkaJSTimeout']);

export function isKafkaOutage(e: unknown): boolean {
  const chain: unknown[] = [];
  for (let x: unknown = e; x instanceof Error && chain.length < 5; x = (x as { originalError?: unknown }).originalError ?? x.cause) chain.push(x);
  if (kafkaFailure(e, [], undefined)) return false;
  return chain.some((x) => OUTAGES.has((x as Error).name) || (x as { retriable?: unknown }).retriable === true);
}

export interface StartupWait extends OutageScope {
  giveUpAfterMs: number;
  brokers: readonly string[];
  kafkaSecurity?: KafkaSecurity;
}

/** One startup step that talks to Kafka: retried while the broker is unreachable. */
export function kafkaStep<T>(wait: StartupWait, fn: () => Promise<T>): Promise<T> {
  return withDependency(wait, 'kafka', () =>
    fn().catch((e: unknown) => {
      if (e instanceof SluiceError) throw e;
      const failure = kafkaFailure(e, wait.brokers, wait.kafkaSecurity);
      if (failure) throw failure;
      if (!isKafkaOutage(e)) throw e;
      throw new SluiceError('KAFKA_UNAVAILABLE', `cannot reach Kafka at ${wait.brokers.join(',')} (${(e as Error).message}); check KAFKA_BROKERS, or run \`npm run stack:up\``, {}, { cause: e });
    }),
  { giveUpAfterMs: wait.giveUpAfterMs });
}

/** One startup step that talks to the registry (it throws REGISTRY_UNAVAILABLE when down). */
export const registryStep = <T>(wait: StartupWait, fn: () => Promise<T>): Promise<T> => withDependency(wait, 'registry', fn, { giveUpAfterMs: wait.giveUpAfterMs });
