/**
 * `npm run fuzz [-- --count N --seed S]`: the long fuzz run (default 100,000 payloads) on the
 * stack of KAFKA_BROKERS / SCHEMA_REGISTRY_URL / REDIS_URL (else .stack/stack.env). Prints one
 * summary line; exits 1 on any crash or unaccounted record. FUZZ_LOG=warn shows the replica's logs.
 */
import { parseArgs } from 'node:util';
import { cliEndpoints } from '../../src/cli/endpoints.js';
import { runFuzz, summaryLine } from './harness.js';

const { values: a } = parseArgs({ options: { count: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' } } });
const count = Number(a.count);
const seed = Number(a.seed);
if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(seed)) {
  process.stderr.write('usage: npm run fuzz -- [--count N] [--seed S]\n');
  process.exit(2);
}
const e = cliEndpoints(true);
const summary = await runFuzz({ brokers: e.brokers, registryUrl: e.registryUrl, redisUrl: e.redisUrl! }, { count, seed, log: (l) => process.stderr.write(`${l}\n`) });
process.stdout.write(`${summaryLine(summary)}\n  reproduce: npm run fuzz -- --count ${count} --seed ${seed}\n`);
process.exit(summary.crashes === 0 && summary.unaccounted === 0 ? 0 : 1);
