/**
 * `sluice status <topology>`: per source partition, the group's committed offset, lag,
 * checkpoint and owner. Read-only: admin requests only, so it never joins the group or fences a
 * task, and runs beside live replicas.
 */
import { Kafka, logLevel } from 'kafkajs';
import { SluiceError } from '../errors.js';
import { groupStatus } from '../runtime/group-status.js';
import { loadStackEnv } from '../connection/stack-env.js';
import { loadTopology } from '../topology/loader.js';
import { formatStatus } from './status-format.js';

export async function statusCommand(file: string, opts: { json?: boolean }): Promise<void> {
  const topology = await loadTopology(file, { checkSql: false });
  const brokers = loadStackEnv().KAFKA_BROKERS;
  if (!brokers) throw new SluiceError('BAD_ARGUMENT', 'KAFKA_BROKERS not set: export it, or run `npm run stack:up` to start a local stack (its endpoints are then read from .stack/stack.env)');
  // few retries: an operator's command should say "unreachable" in seconds, not wait like a replica
  const kafka = new Kafka({ clientId: `sluice-status-${topology.spec.name}`, brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 5_000, retry: { retries: 2 } });
  const admin = kafka.admin();
  try {
    await admin.connect().catch((e: Error) => {
      throw new SluiceError('KAFKA_UNAVAILABLE', `cannot reach Kafka at ${brokers} (${e.message}); check KAFKA_BROKERS`, {}, { cause: e });
    });
    const status = await groupStatus(admin, topology);
    process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`);
  } finally {
    await admin.disconnect();
  }
}
