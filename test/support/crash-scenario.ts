/**
 * The crash scenario of the two-stage tests (two-stage-crash, sessions): `sluice run` processes,
 * the first of each slot killing itself at random crash points (src/runtime/faults.ts), then
 * scaled from 2 to 3 replicas and one SIGKILLed. The caller reads what was committed afterwards.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Supervisor, type Instance } from '../chaos/replicas.js';
import { waitFor } from './read.js';
import { endpoints } from './services.js';

// Per crash point passed. Only the first instance of each slot is faulty and dies once, so these
// set where it dies; at half these odds a run of the small input could end without any crash (seen once).
export const CRASH_FAULTS = 'after-append:0.06,before-commit:0.1,after-commit:0.1,mid-publish:0.2';

export interface CrashRun { sup: Supervisor; notes: string[]; crashed: () => Instance[] }

/** Runs the scenario on `topologyFile`; `onStart` gets the supervisor at once, so the caller's cleanup can kill it whatever happens. */
export async function crashAndScale(topologyFile: string, dir: string, onStart: (sup: Supervisor) => void): Promise<CrashRun> {
  const { brokers, registryUrl, redisUrl } = endpoints();
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  const notes: string[] = [];
  let faulty = 0;
  const sup = new Supervisor({
    repoRoot: resolve(import.meta.dirname, '../..'),
    topologyFile,
    logDir,
    env: { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'info' },
    // the first instance of each slot crashes at random; its replacement runs clean
    faults: () => (faulty++ < 2 ? CRASH_FAULTS : undefined),
    onExit: () => undefined,
    note: (line) => notes.push(line),
  });
  onStart(sup);
  await sup.scaleTo(2);
  const crashed = () => sup.instances.filter((i) => i.exit?.crashPoint !== undefined);
  await waitFor(() => crashed().length > 0, 120_000, () => `a replica to die at a crash point:\n${notes.join('\n')}`, 250);
  await sup.scaleTo(3);
  await waitFor(() => sup.running().length === 3, 60_000, () => `3 replicas running:\n${notes.join('\n')}`, 250);
  sup.kill(sup.running()[0]!);
  return { sup, notes, crashed };
}
