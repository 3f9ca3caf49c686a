/**
 * `npm run stack:up | stack:down | stack:status` — the local Kafka + registry + Redis without Docker.
 * Progress goes to stderr; `up` prints the endpoints as KEY=value lines on stdout.
 * `down [service…]` stops only the services named; `owned` prints `<service> <pid>` for each running
 * process this stack dir started (.ci/run compares it before and after a run).
 */
import { isSluiceError, SluiceError } from '../../src/errors.js';
import { redactSecrets, redactText, redactUrl } from '../../src/telemetry/redact.js';
import { SERVICES, stackConfig, type ServiceName } from './config.js';
import { stackDown, stackStatus } from './down.js';
import { formatEnv } from '../../src/connection/stack-env.js';
import { runningOwned } from './state.js';
import { stackUp } from './up.js';

function serviceNames(args: string[]): ServiceName[] | undefined {
  if (args.length === 0) return undefined;
  const unknown = args.filter((a) => !(SERVICES as readonly string[]).includes(a));
  if (unknown.length > 0) throw new SluiceError('BAD_ARGUMENT', `unknown service ${unknown.join(', ')} (services: ${SERVICES.join(', ')})`);
  return args as ServiceName[];
}

async function main(cmd: string | undefined, args: string[]): Promise<number> {
  switch (cmd) {
    case 'up': {
      const res = await stackUp({ services: serviceNames(args) });
      // passwords only in the env file, never on the terminal
      process.stdout.write(`${redactText(formatEnv(redactSecrets(res.env)))}\n`);
      process.stderr.write(`(also written to ${res.envFile}, passwords included; environment variables win over it)\n`);
      return 0;
    }
    case 'down':
      await stackDown({ services: serviceNames(args) });
      return 0;
    case 'owned': {
      const { stackDir } = stackConfig();
      for (const s of SERVICES) {
        const p = runningOwned(stackDir, s);
        if (p) process.stdout.write(`${s} ${p.pid}\n`);
      }
      return 0;
    }
    case 'status': {
      const all = await stackStatus();
      for (const s of all) {
        const who = s.owner === 'stack' ? `pid ${s.pid}` : s.owner === 'external' ? 'not started by this stack' : 'not configured';
        process.stdout.write(`${s.service.padEnd(8)} ${s.up ? 'up  ' : 'DOWN'}  ${(s.endpoint ? redactUrl(s.endpoint) : '-').padEnd(42)} ${who}\n`);
      }
      // the S3 server is optional (only a bucket sink needs it): not configured is not down
      return all.every((s) => s.up || (s.service === 's3' && s.owner === 'none')) ? 0 : 3;
    }
    default:
      process.stderr.write('usage: tsx dev/stack/cli.ts up [kafka|registry|redis|s3…] | down [kafka|registry|redis|s3…] | status | owned\n');
      return 2;
  }
}

// exit explicitly: a client library's stray retry timer must not keep a finished command alive
main(process.argv[2], process.argv.slice(3)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(redactText(`stack ${process.argv[2]}: ${isSluiceError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`));
    process.exit(1);
  },
);
