/**
 * Replicas started in the test process on the real services, each stopped after the test file
 * (in the order they started), so a test cannot leave one running.
 */
import pino, { type Logger } from 'pino';
import { afterAll } from 'vitest';
import { startReplica, type Endpoints, type Replica, type ReplicaOptions } from '../../src/runtime/replica.js';
import { loadTopology } from '../../src/topology/loader.js';
import { endpoints } from './services.js';

export interface StartOptions extends Partial<Omit<ReplicaOptions, 'log'>> {
  /** Overrides of the shared services' endpoints (a down forwarder, credentials, a bucket). */
  at?: Partial<Endpoints>;
  log?: Logger;
}

export function replicaStarter(): (t: { file: string }, opts?: StartOptions) => Promise<Replica> {
  const started: Replica[] = [];
  afterAll(async () => {
    for (const r of started.splice(0)) await r.stop();
  });
  return async (t, { at = {}, log = pino({ level: 'warn' }), ...opts } = {}) => {
    const r = await startReplica(await loadTopology(t.file), { ...endpoints(), ...at }, { port: 0, ...opts, log });
    started.push(r);
    return r;
  };
}
