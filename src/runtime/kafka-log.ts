/**
 * kafkajs logs through pino, at warn and above (its info level narrates every rejoin). A lost
 * broker is an outage episode like Redis' or the registry's: logged once when it starts and once
 * when the next transaction commits, with the `sluice_dependency_outage{dependency="kafka"}` gauge;
 * kafkajs' per-retry lines go to debug meanwhile, as do its per-response errors that it retries itself.
 */
import { logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type { TopologyMetrics } from '../telemetry/metrics.js';

const CONNECTION = /ECONNREFUSED|ECONNRESET|EPIPE|Connection (error|timeout|closed)|connect to seed broker|not connected|coordinator is not available|timed out/i;

export class KafkaLog {
  private down = false;
  /** While the replica starts, startup.ts reports Kafka outages (bounded waits); kafkajs' lines go to debug. */
  private starting = true;
  private readonly child: Logger;

  constructor(log: Logger, private readonly metrics: TopologyMetrics) {
    this.child = log.child({ component: 'kafkajs' });
  }

  readonly logCreator = () => ({ level, log: entry }: LogEntry): void => {
    const { message, ...rest } = entry;
    if (message.startsWith('Response ')) return this.child.debug(rest, message);
    if (level <= logLevel.ERROR && CONNECTION.test(`${message} ${String(rest.error ?? '')}`)) {
      if (this.down || this.starting) return this.child.debug(rest, message);
      this.down = true;
      this.metrics.outage('kafka', true);
      return this.child.warn(rest, `kafka unavailable: ${message}; clients reconnect, batches abort and are retried`);
    }
    if (level <= logLevel.ERROR) this.child.error(rest, message);
    else this.child.warn(rest, message);
  };

  /** The replica runs: from now on a lost broker is logged here, as an episode. */
  started(): void {
    this.starting = false;
  }

  /** A transaction committed: the broker is back. */
  recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.metrics.outage('kafka', false);
    this.child.info('kafka available again');
  }
}
