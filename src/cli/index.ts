/**
 * The `sluice` command line. Each subcommand lives in its own file and is imported lazily, so
 * `sluice validate` does not load kafkajs and DuckDB.
 */
// first: it must run before anything loads kafkajs (see the file)
import '../kafkajs/patches.js';
import { existsSync, readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isSluiceError, SluiceError } from '../errors.js';
import { parseDuration } from '../topology/duration.js';
import { redactText } from '../telemetry/redact.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number 0–65535 (0: any free port), got "${value}"`);
  return n;
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`expected a duration such as 30s or 5m, got "${value}"`);
  return ms;
}

// Kafka's rule for group.instance.id (as for topic names): JoinGroupRequest.validateGroupInstanceId
function instanceId(value: string): string | undefined {
  if (value === '') return undefined; // an empty SLUICE_INSTANCE_ID: a dynamic member
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(value)) throw new InvalidArgumentError(`expected 1–249 characters of a-z, A-Z, 0-9, ".", "_" and "-" (e.g. the pod name), got "${value}"`);
  return value;
}

// the file's name only: the settings in it (and in SLUICE_KAFKA_*, SLUICE_REGISTRY_*, SLUICE_REDIS_*) never show in --help
const connectionOption = () => new Option('--connection <file>', 'connection settings file (Kafka TLS/SASL, registry and Redis credentials; README, Production); environment variables win over it').env('SLUICE_CONNECTION_FILE');

const program = new Command('sluice')
  .description('Streaming micro-batch processor on Kafka: decode, dedup, window, publish exactly once.')
  .version(version)
  .showHelpAfterError();

program
  .command('validate')
  .description('Check topology files: shape, durations, fields against the reader schema, metric SQL in DuckDB')
  .argument('<files...>', 'topology YAML files')
  .action(async (files: string[]) => {
    const { validateCommand } = await import('./validate.js');
    process.exitCode = await validateCommand(files);
  });

program
  .command('schema')
  .description('Print the JSON Schema of topology files (for editors, see README)')
  .action(async () => {
    const { schemaCommand } = await import('./schema.js');
    schemaCommand();
  });

program
  .command('run')
  .description('Run one replica of a topology; replicas of one topology share the partitions')
  .argument('<topology>', 'topology YAML file')
  .addOption(new Option('--port <port>', 'HTTP port for /metrics, /healthz, /readyz (default 9464, the next free one if taken; 0: any free port)').argParser(port))
  .addOption(new Option('--host <address>', 'address the HTTP port binds to: 0.0.0.0 all IPv4 interfaces, 127.0.0.1 this host only, :: all IPv6 (and IPv4) ones').env('SLUICE_METRICS_HOST').default('0.0.0.0'))
  .addOption(connectionOption())
  .addOption(new Option('--state-dir <dir>', 'folder for the DuckDB file of open-window state (default: in memory; state is rebuilt from Kafka on restart either way)'))
  .addOption(new Option('--memory-limit <size>', 'DuckDB memory limit for open-window state (e.g. 512MB, 4GB); past it DuckDB spills to --spill-dir').default('1GB').env('SLUICE_MEMORY_LIMIT'))
  .addOption(new Option('--spill-dir <dir>', 'folder DuckDB spills to past the memory limit (default: <state-dir>/spill, else a folder in the OS temp dir; emptied on exit)').env('SLUICE_SPILL_DIR'))
  .addOption(new Option('--startup-timeout <duration>', 'how long startup waits for an unreachable Kafka or registry before it exits 1 (e.g. 30s, 5m)').default(300_000, '5m').argParser(duration))
  .addOption(new Option('--instance-id <id>', 'this replica\'s static group membership id (group.instance.id, KIP-345), unique per replica and kept across its restarts (e.g. the pod name): a restart takes its partitions back at once instead of after source.session_timeout. A stop (SIGTERM) still leaves the group. Unset: a dynamic member. A replica started with the id of a live one stops that one (exit 2)').env('SLUICE_INSTANCE_ID').argParser(instanceId))
  .action(async (file: string, opts: import('./run.js').RunOptions) => {
    const { runCommand } = await import('./run.js');
    await runCommand(file, opts);
  });

program
  .command('status')
  .description('Show the consumer group of a topology per source partition: committed offset, lag, checkpoint (stream time, open windows, pending files), restore range, owner. Read-only: safe while replicas run')
  .argument('<topology>', 'topology YAML file')
  .option('--json', 'print JSON (one object: group, state, members, partitions[]) for scripts')
  .action(async (file: string, opts: { json?: boolean }) => {
    const { statusCommand } = await import('./status.js');
    await statusCommand(file, opts);
  });

program
  .command('produce')
  .description('Generate upstream events that fit the topology\'s source schema')
  .argument('<topology>', 'topology YAML file')
  .option('--rate <n/s>', 'events per second (0 or "max" for as fast as possible)', 'max')
  .option('--count <n>', 'number of events', '10000')
  .option('--duplicates <pct>', 'share of re-sent events, e.g. 2%', '0%')
  .option('--late <pct>', 'share of events later than the grace period', '0%')
  .option('--invalid <pct>', 'share of malformed payloads', '0%')
  .option('--keys <n>', 'distinct group-by keys (Zipf-distributed)', '10000')
  .option('--seed <n>', 'random seed, for a reproducible input', '1')
  .option('--partitions <n>', 'partitions of the source topic when it is created (default 6)')
  .option('--start-ts <time>', 'event time of the first event: epoch ms or ISO-8601 (default: 5 minutes ago)')
  .option('--step <ms>', 'mean event-time advance per event (default: 1000/rate, 1 ms at max rate)')
  .addOption(connectionOption())
  .action(async (file: string, opts: import('./produce.js').ProduceOptions) => {
    const { produceCommand } = await import('./produce.js');
    await produceCommand(file, opts);
  });

program
  .command('demo')
  .description('Bring up the local stack, feed a topology with generated events, run it and print the windows as they commit')
  .argument('[topology]', 'topology YAML file', 'topologies/page-views.yaml')
  .option('--count <n>', 'events to generate', '50000')
  .option('--parquet <path>', 'where the demo topology writes Parquet (its PARQUET_PATH): a folder, or s3://bucket/prefix for a bucket of the local S3Proxy')
  .action(async (file: string, opts: { count: string; parquet?: string }) => {
    const { demoCommand } = await loadDemo();
    await demoCommand(file, opts);
  });

/**
 * The demo lives with the dev stack in dev/, outside the runtime build (dist/ and the Docker
 * image hold no Kafka launcher): it runs from a source checkout, through tsx.
 */
interface DemoModule { demoCommand(file: string, opts: { count: string; parquet?: string }): Promise<void> }
async function loadDemo(): Promise<DemoModule> {
  const demo = new URL('../../dev/demo.ts', import.meta.url);
  if (!existsSync(demo)) throw new SluiceError('BAD_ARGUMENT', 'sluice demo runs from a source checkout (git clone, npm ci, npm run demo): this installation has no dev/ folder');
  return (await import(demo.href)) as DemoModule;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (isSluiceError(err)) {
    process.stderr.write(`sluice: ${redactText(err.message)} [${err.code}, ${err.domain} error${err.retriable ? ', retriable' : ''}]\n`);
    process.exitCode = err.domain === 'user' ? 2 : 1;
  } else {
    // a bug or a library's own error: its stack, with any URL password masked
    process.stderr.write(`${redactText(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
    process.exitCode = 1;
  }
}
