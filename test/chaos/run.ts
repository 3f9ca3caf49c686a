/**
 * `npm run chaos [-- --events N --seed S --kills K --produce-seconds T --sink local|s3 --two-stage --window tumbling|session --early S --keep]`: the
 * full-scale chaos run of issue 5 (default 200,000 events, 6 random SIGKILLs + crash points);
 * `--sink s3` puts the Parquet files in a bucket of the run's own S3Proxy (issue 13); `--two-stage`
 * runs it on a two-stage topology (docs/keyed-windows.md); `--window session` on session windows
 * (gap and grace from the event-time step: test/chaos/input.ts, chaosWindow); `--early S` with
 * early results every S seconds of stream time, the early topic checked too. Prints the
 * result table and exits 1 on any difference from the oracle (or a fault kind not injected).
 */
import { parseArgs } from 'node:util';
import { runChaos } from './harness.js';
import { killTracked } from './processes.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    seed: { type: 'string', default: '42' },
    kills: { type: 'string', default: '6' },
    'produce-seconds': { type: 'string', default: '240' },
    keep: { type: 'boolean', default: false },
    sink: { type: 'string', default: 'local' },
    'two-stage': { type: 'boolean', default: false },
    window: { type: 'string', default: 'tumbling' },
    early: { type: 'string' },
  },
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`chaos: ${signal}: killing every process this run started\n`);
    killTracked();
    process.exit(130);
  });
}

const events = Number(values.events);
if (values.sink !== 'local' && values.sink !== 's3') {
  process.stderr.write(`chaos: --sink is local or s3 (got ${values.sink})\n`);
  process.exit(2);
}
const sink = values.sink;
if (values.window !== 'tumbling' && values.window !== 'session') {
  process.stderr.write(`chaos: --window is tumbling or session (got ${values.window})\n`);
  process.exit(2);
}
const window = values.window;
const early = values.early === undefined ? undefined : Number(values.early) * 1000;
if (early !== undefined && (!(early > 0) || window === 'session')) {
  process.stderr.write(`chaos: --early takes seconds (got ${values.early}), with time windows only (sessions refuse early results)\n`);
  process.exit(2);
}
const result = await runChaos({
  repoRoot: process.cwd(),
  events,
  seed: Number(values.seed),
  randomKills: Number(values.kills),
  produceMs: Number(values['produce-seconds']) * 1000,
  stepMs: Math.max(5, Math.round(5_000_000 / events)), // ~5,000 s of event time: ~500 windows of 10 s
  keys: 20,
  crashPoints: `before-commit:0.05,after-commit:${sink === 's3' ? 0.05 : 0.02},mid-publish:0.02,after-append:0.02`,
  sink,
  command: `npm run chaos -- ${process.argv.slice(2).join(' ')}`.trim(),
  log: (line) => process.stderr.write(`${line}\n`),
  keepDir: values.keep,
  twoStage: values['two-stage'],
  window,
  early,
});
process.stdout.write(`${result.text}\n`);
process.exit(result.ok ? 0 : 1);
