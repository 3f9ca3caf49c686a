/**
 * A replica's CPU profile (`npm run bench -- … --profile`) by pipeline step rather than by
 * package: each sample goes to the step of the frame nearest its leaf that names one, counted only between the first and the last sample inside a batch (start and stop left out).
 *   npx tsx test/bench/profile-steps.ts <file.cpuprofile> [top functions]
 */
import { readFileSync } from 'node:fs';

interface Frame { functionName: string; url: string; lineNumber: number }
interface Node { id: number; callFrame: Frame; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number }

// a sample goes to the step of the frame nearest its leaf that matches one (a DuckDB call inside ingest is DuckDB)
const STEPS: Array<[string, RegExp]> = [
  ['decode (avsc, src/serde)', /^decode .*serde\/decoder|avsc\//],
  ['dedup (src/dedup, ioredis)', /src\/dedup\/|ioredis\//],
  ['kafkajs fetch decoding', /src\/kafkajs\/(records|aborted)|kafkajs\/src\/(consumer\/|protocol\/requests\/fetch|protocol\/decoder|protocol\/recordBatch\/(v0\/decoder|record\/v0\/decoder|header\/v0\/decoder)|utils\/long)/],
  ['kafkajs produce and transactions', /src\/kafkajs\/(produce|grouping)|kafkajs\/src\/(producer|protocol\/requests\/(produce|addOffsets|txnOffset|endTxn|addPartitions)|protocol\/recordBatch\/record\/v0\/index|protocol\/encoder)/],
  ['kafkajs other (network)', /kafkajs\//],
  ['DuckDB append', /append .*duck-state|window\/appender|DuckDBAppender|DuckDBVarCharVector/],
  ['DuckDB other', /duckdb/],
  ['window close, output, commit', /commit-windows|src\/sink\/|src\/commit\//],
  ['ingest (the rest of steps 1-2)', /runtime\/ingest/],
  ['windows (runBatch, src/window)', /runBatch|runtime\/pipeline|src\/window\//],
];

/** The step of the frame nearest the leaf that names one. */
function stepOf(frames: string[]): string {
  for (const f of frames) for (const [step, re] of STEPS) if (re.test(f)) return step;
  return 'other (node, timers, metrics)';
}

export function profileSteps(file: string, top = 30): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const text = (f: Frame) => `${f.functionName} ${f.url}`;
  const stackOf = (id: number): Frame[] => {
    const s: Frame[] = [];
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) s.push(byId.get(x)!.callFrame);
    return s;
  };
  let t = p.startTime;
  const times = p.samples.map((_, i) => (t += p.timeDeltas[i] ?? 0));
  let first = Infinity;
  let last = 0;
  p.samples.forEach((id, i) => {
    if (!stackOf(id).some((f) => /runBatch|runStage1|runStage2/.test(f.functionName))) return;
    first = Math.min(first, times[i]!);
    last = Math.max(last, times[i]!);
  });
  const steps = new Map<string, number>();
  const leaves = new Map<string, number>();
  let busy = 0;
  p.samples.forEach((id, i) => {
    if (times[i]! < first || times[i]! > last) return;
    const stack = stackOf(id);
    const leaf = stack[0]!.functionName;
    if (leaf === '(idle)') return;
    const dt = p.timeDeltas[i] ?? 0;
    const step = leaf.startsWith('(') ? leaf : stepOf(stack.map(text));
    steps.set(step, (steps.get(step) ?? 0) + dt);
    const name = `${step} | ${leaf || '(anonymous)'} ${stack[0]!.url.replace(/.*node_modules\//, '').replace(/.*\/src\//, 'src/')}`;
    leaves.set(name, (leaves.get(name) ?? 0) + dt);
    busy += dt;
  });
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  const lines = [`${file}: ${((last - first) / 1e6).toFixed(1)} s between the first and last batch, ${(busy / 1e6).toFixed(1)} s busy (idle left out); share of busy time:`];
  for (const [k, v] of [...steps].sort((a, b) => b[1] - a[1])) lines.push(`  ${pct(v)}  ${k}`);
  lines.push('top functions (self):');
  for (const [k, v] of [...leaves].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  process.stdout.write(`${profileSteps(process.argv[2]!, Number(process.argv[3] ?? 30))}\n`);
}
