/**
 * pino JSON logs; pretty on a terminal (pino-pretty), one child logger per task with
 * `{topology, partition}` bindings instead of interpolated strings (fastify/pino style).
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { redactText } from './redact.js';

export type { Logger };

/** `destination` (JSON lines) is for tests; by default stdout. */
export function createLogger(opts: { level?: string; pretty?: boolean; destination?: DestinationStream } = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const format = process.env.LOG_FORMAT;
  const usePretty = opts.pretty ?? (format === 'pretty' || (format !== 'json' && process.stdout.isTTY === true));
  const options: LoggerOptions = { level, ...redacting };
  if (!usePretty) return opts.destination ? pino(options, opts.destination) : pino(options);
  // a synchronous in-thread stream, not a transport worker: nothing is lost when the CLI exits
  return pino(options, pretty({ colorize: true, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
}

/**
 * The last line of defence for secrets: a URL password in a message or a top-level string field
 * (`{ err: String(e) }`, a client's error text) is masked in every line (redact.ts).
 */
const redacting: Pick<LoggerOptions, 'hooks' | 'formatters'> = {
  hooks: {
    logMethod(args, method) {
      method.apply(this, args.map((a: unknown) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
    },
  },
  formatters: {
    log: (fields) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? redactText(v) : v])),
  },
};

export function taskLogger(root: Logger, topology: string, partition: number): Logger {
  return root.child({ topology, partition });
}
