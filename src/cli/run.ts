/**
 * `sluice run <topology>`: one replica until SIGTERM/SIGINT. The first signal stops fetching,
 * lets in-flight batches finish (or abort), leaves the group and closes every client, then exits 0
 * (also when it arrives while the replica is still starting); a second signal exits at once.
 */
import { startReplica, type Replica } from '../runtime/replica.js';
import { createLogger } from '../telemetry/logger.js';
import { loadTopology } from '../topology/loader.js';
import { cliEndpoints } from './endpoints.js';

export interface RunOptions { port?: number; host?: string; stateDir?: string; startupTimeout?: number; memoryLimit?: string; spillDir?: string; connection?: string }

export async function runCommand(file: string, opts: RunOptions): Promise<void> {
  const log = createLogger();
  let replica: Replica | undefined;
  let stopping = false;
  const stop = () =>
    (replica?.stop() ?? Promise.resolve()).then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err) => {
        log.error({ err: String(err) }, 'error while stopping');
        process.exit(1);
      },
    );
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'stopping: finishing in-flight batches, leaving the group');
    if (replica) void stop(); // else: stopped as soon as the start finishes
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const topology = await loadTopology(file);
  const endpoints = cliEndpoints(topology.spec.dedup !== undefined, { topology: topology.spec.connection, file: opts.connection });
  replica = await startReplica(topology, endpoints, { port: opts.port, host: opts.host, stateDir: opts.stateDir, startupTimeoutMs: opts.startupTimeout, memoryLimit: opts.memoryLimit, spillDir: opts.spillDir, log });
  if (stopping) await stop();
}
