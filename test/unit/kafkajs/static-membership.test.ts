import { createRequire } from 'node:module';
import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { staticConsumer, withInstanceId } from '../../../src/kafkajs/static-membership.js';
import { crashError } from '../../../src/tasks/consumer.js';
import { isSluiceError } from '../../../src/errors.js';

const require = createRequire(import.meta.url);
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys.js') as Record<string, number>;
const { requests, lookup } = require('kafkajs/src/protocol/requests/index.js') as { requests: Record<string, unknown>; lookup: (versions: Record<number, { minVersion: number; maxVersion: number }>) => (apiKey: number, definition: unknown) => (args: Record<string, unknown>) => { request: { apiVersion: number; encode(): Promise<{ buffer: Buffer }> } } };

/** A broker as kafkajs' lookup sees one: every request up to `max`. */
const broker = (max: number) => ({ lookupRequest: lookup(Object.fromEntries(Object.values(apiKeys).map((k) => [k, { minVersion: 0, maxVersion: max }]))), other: 1 });
const encoded = async (b: ReturnType<typeof broker>, name: string, args: Record<string, unknown>) =>
  (await b.lookupRequest(apiKeys[name]!, requests[name]).call(b, args).request.encode()).buffer.toString('latin1');

describe('static group membership (group.instance.id) for kafkajs', () => {
  const group = { groupId: 'g', memberId: 'm-1', generationId: 3, groupGenerationId: 3, sessionTimeout: 6000, rebalanceTimeout: 60000, protocolType: 'consumer', groupProtocols: [], groupAssignment: [] };

  it('puts the id into JoinGroup v5, SyncGroup v3, Heartbeat v3 and LeaveGroup v3, and nothing else', async () => {
    const b = withInstanceId(broker(9), 'replica-7');
    for (const name of ['JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup']) expect(await encoded(b, name, group), name).toContain('replica-7');
    expect(await encoded(b, 'OffsetFetch', { groupId: 'g', topics: [] })).not.toContain('replica-7');
    expect(await encoded(broker(9), 'JoinGroup', group)).not.toContain('replica-7');
    expect(b.other).toBe(1); // everything else is the broker's own
  });

  it('refuses a broker too old to know the id instead of joining as a dynamic member', () => {
    const b = withInstanceId(broker(4), 'replica-7');
    expect(() => b.lookupRequest(apiKeys.JoinGroup!, requests.JoinGroup)(group)).toThrow(/Kafka 2\.3/);
  });

  it('is active for consumers made by staticConsumer (the setup file loads it before kafkajs)', () => {
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'] });
    expect(() => staticConsumer(kafka, { groupId: 'g', groupInstanceId: 'replica-7' })).not.toThrow();
    expect(staticConsumer(kafka, { groupId: 'g' }).events.GROUP_JOIN).toBeDefined();
  });

  it('turns FENCED_INSTANCE_ID in kafkajs\' crash into a user error naming the id', () => {
    const fenced = Object.assign(new Error('The broker rejected this static consumer'), { type: 'FENCED_INSTANCE_ID' });
    const crash = new Error('KafkaJSNonRetriableError', { cause: fenced });
    const err = crashError(crash, 'sluice-page-views', 'pod-a');
    expect(isSluiceError(err, 'INSTANCE_ID_IN_USE') && err.domain === 'user' && !err.retriable).toBe(true);
    expect(err.message).toMatch(/sluice-page-views.*"pod-a"/);
    const other = new Error('other', { cause: Object.assign(new Error('x'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }) });
    expect(crashError(other, 'g', 'pod-a')).toBe(other);
  });
});
