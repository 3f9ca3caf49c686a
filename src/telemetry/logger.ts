/**
 * pino JSON logs; pretty on a terminal (pino-pretty), one child logger per task with
 * `{topology, partition}` bindings instead of interpolated strings (fastify/pino style).
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const format = process.env.LOG_FORMAT;
  const usePretty = opts.pretty ?? (format === 'pretty' || (format !== 'json' && process.stdout.isTTY === true));
  if (!usePretty) return pino({ level });
  // a synchronous in-thread stream, not a transport worker: nothing is lost when the CLI exits
  return pino({ level }, pretty({ colorize: true, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
}

export function taskLogger(root: Logger, topology: string, partition: number): Logger {
  return root.child({ topology, partition });
}
