/**
 * `sluice run <topology>`: one replica until SIGTERM/SIGINT. The first signal stops fetching,
 * lets in-flight batches finish (or abort), leaves the group and closes every client, then exits 0
 * (also when it arrives while the replica is still starting: the start is cut short, e.g. a group
 * join that another member's long batch holds up to the rebalance timeout); a second signal exits at once.
 */
import { startReplica, type Replica } from '../runtime/replica.js';
import { createLogger } from '../telemetry/logger.js';
import { loadTopology } from '../topology/loader.js';
import { cliEndpoints } from './endpoints.js';

export interface RunOptions { port?: number; host?: string; stateDir?: string; startupTimeout?: number; memoryLimit?: string; spillDir?: string; connection?: string; instanceId?: string }

export async function runCommand(file: string, opts: RunOptions): Promise<void> {
  const log = createLogger();
  let replica: Replica | undefined;
  let stopping = false;
  const starting = new AbortController();
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
    if (replica) void stop();
    else starting.abort(new Error(`${signal} while starting`)); // startReplica closes what it opened and rejects
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const topology = await loadTopology(file);
  const endpoints = cliEndpoints(topology.spec.dedup !== undefined, { topology: topology.spec.connection, file: opts.connection });
  try {
    replica = await startReplica(topology, endpoints, { port: opts.port, host: opts.host, stateDir: opts.stateDir, startupTimeoutMs: opts.startupTimeout, memoryLimit: opts.memoryLimit, spillDir: opts.spillDir, instanceId: opts.instanceId, log, signal: starting.signal });
  } catch (err) {
    if (!starting.signal.aborted) throw err;
    log.info('stopped while starting');
    process.exit(0);
  }
  if (stopping) await stop();
}
