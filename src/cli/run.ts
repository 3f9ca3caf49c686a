/**
 * `sluice run <topology>`: one replica until SIGTERM/SIGINT. The first signal stops fetching,
 * lets in-flight batches finish (or abort), leaves the group and closes every client, then exits 0;
 * a second signal exits at once.
 */
import { startReplica } from '../runtime/replica.js';
import { createLogger } from '../telemetry/logger.js';
import { loadTopology } from '../topology/loader.js';
import { cliEndpoints } from './endpoints.js';

export async function runCommand(file: string, opts: { port?: number; stateDir?: string }): Promise<void> {
  const log = createLogger();
  const topology = await loadTopology(file);
  const replica = await startReplica(topology, cliEndpoints(topology.spec.dedup !== undefined), { ...opts, log });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'stopping: finishing in-flight batches, leaving the group');
    replica.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err) => {
        log.error({ err: String(err) }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
