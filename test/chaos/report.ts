/**
 * The chaos run's result as tables: outputs against the oracle, faults by kind, and recovery per
 * replica restart (from the replicas' JSON logs: `task started`, `restore finished`).
 */
import type { OutputCheck } from './verify.js';
import { logLines, type Instance, type Stopped } from './replicas.js';

export interface Fault { at: number; kind: string; detail: string }

export interface Recovery {
  instance: string;
  cause: string;
  /** Spawn → `replica running`, seconds. */
  startSeconds: number | null;
  /** Predecessor's exit (or the spawn) → the first `task started`, seconds. */
  firstTaskSeconds: number | null;
  tasks: number;
  restoredRecords: number;
  maxRestoreSeconds: number;
}

export function recoveries(instances: Instance[]): Recovery[] {
  return instances.map((i) => {
    const lines = logLines(i);
    const prev = instances.filter((x) => x.slot === i.slot && x.n === i.n - 1)[0];
    const from = prev?.exit?.at ?? i.spawnedAt;
    const running = lines.find((l) => l.msg === 'replica running');
    const tasks = lines.filter((l) => l.msg === 'task started');
    const restores = lines.filter((l) => l.msg === 'restore finished');
    return {
      instance: i.name,
      cause: i.cause,
      startSeconds: running ? (running.time - i.spawnedAt) / 1000 : null,
      firstTaskSeconds: tasks[0] ? (tasks[0].time - from) / 1000 : null,
      tasks: tasks.length,
      restoredRecords: restores.reduce((a, l) => a + Number(l.records ?? 0), 0),
      maxRestoreSeconds: restores.reduce((a, l) => Math.max(a, Number(l.seconds ?? 0)), 0),
    };
  });
}

export function table(head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => '| ' + r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|', ...rows.map((r) => line(r.map(String)))].join('\n');
}

export interface ReportInput {
  command: string;
  events: number;
  pending: number;
  checks: OutputCheck[];
  faults: Fault[];
  recoveries: Recovery[];
  stops: Stopped[];
  problems: string[];
  seconds: number;
  /** Lines about the input, after the counts (e.g. how much a session run merged). */
  notes?: string[];
}

export function formatReport(r: ReportInput): string {
  const out: string[] = [];
  out.push(`command: ${r.command}`);
  out.push(`events in: ${r.events}; windows still open at the end (not expected yet): ${r.pending}; run time ${r.seconds.toFixed(0)} s`);
  out.push(...(r.notes ?? []));
  out.push('');
  out.push(table(['output', 'expected', 'got', 'lost', 'duplicated', 'unexpected', 'mismatched'], r.checks.map((c) => [c.output, c.expected, c.got, c.lost, c.duplicated, c.unexpected, c.mismatched])));
  out.push('');
  const kinds = new Map<string, number>();
  for (const f of r.faults) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  out.push(table(['fault injected', 'times'], [...kinds].map(([k, n]) => [k, n])));
  out.push('');
  const restarts = r.recoveries.filter((x) => x.cause !== 'initial' && x.cause !== 'scale-up');
  out.push(table(['replica restart', 'cause', 'start → running s', 'down → first task s', 'tasks', 'restored records', 'max restore s'],
    restarts.map((x) => [x.instance, x.cause, fmt(x.startSeconds), fmt(x.firstTaskSeconds), x.tasks, x.restoredRecords, x.maxRestoreSeconds.toFixed(3)])));
  const all = r.recoveries.reduce((a, x) => ({ tasks: a.tasks + x.tasks, records: a.records + x.restoredRecords, max: Math.max(a.max, x.maxRestoreSeconds) }), { tasks: 0, records: 0, max: 0 });
  out.push(`task starts (every rebalance restores its tasks): ${all.tasks}, records replayed in restore mode: ${all.records}, longest restore: ${all.max.toFixed(3)} s`);
  out.push(`final SIGTERM: ${r.stops.map((s) => `${s.name} exit ${s.code ?? s.signal}`).join(', ')}`);
  for (const c of r.checks) for (const d of c.details) out.push(`  ${d}`);
  out.push(r.problems.length === 0 ? 'RESULT: OK — 0 lost, 0 duplicated, 0 mismatched' : `RESULT: FAILED\n${r.problems.map((p) => `  - ${p}`).join('\n')}`);
  return out.join('\n');
}

const fmt = (n: number | null) => (n === null ? '–' : n.toFixed(1));
