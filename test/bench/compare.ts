/**
 * Do two processors' outputs hold the same windows? Pure functions over decoded output records,
 * unit-tested in compare.test.ts. A window is identified by (key, window_start, window_end); its
 * metrics must agree within a relative tolerance (p95 is a float both compute by interpolation).
 * Windows only one side emitted are counted, not failed: which windows a drained topic has closed
 * may differ at its very end (the last records of a partition decide).
 */
export interface OutputRow {
  key: string;
  window_start: number;
  window_end: number;
  metrics: Record<string, number | null>;
}

export interface Mismatch { window: string; field: string; a: number | null | undefined; b: number | null | undefined }

export interface Comparison {
  matched: number;
  onlyA: string[];
  onlyB: string[];
  /** The same window emitted twice by one side: never right for final results. */
  repeatedA: string[];
  repeatedB: string[];
  mismatches: Mismatch[];
}

export const windowId = (r: OutputRow): string => `${r.key}@${r.window_start}-${r.window_end}`;

export function sameNumber(a: number | null | undefined, b: number | null | undefined, relTol = 1e-9): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a === b;
  return Math.abs(a - b) <= relTol * Math.max(1, Math.abs(a), Math.abs(b));
}

function index(rows: readonly OutputRow[]): { byId: Map<string, OutputRow>; repeated: string[] } {
  const byId = new Map<string, OutputRow>();
  const repeated: string[] = [];
  for (const r of rows) {
    const id = windowId(r);
    if (byId.has(id)) repeated.push(id);
    else byId.set(id, r);
  }
  return { byId, repeated };
}

export function compareOutputs(a: readonly OutputRow[], b: readonly OutputRow[], relTol = 1e-9): Comparison {
  const A = index(a);
  const B = index(b);
  const out: Comparison = { matched: 0, onlyA: [], onlyB: [], repeatedA: A.repeated, repeatedB: B.repeated, mismatches: [] };
  for (const [id, ra] of A.byId) {
    const rb = B.byId.get(id);
    if (!rb) {
      out.onlyA.push(id);
      continue;
    }
    const fields = new Set([...Object.keys(ra.metrics), ...Object.keys(rb.metrics)]);
    let same = true;
    for (const f of fields) {
      if (!sameNumber(ra.metrics[f], rb.metrics[f], relTol)) {
        out.mismatches.push({ window: id, field: f, a: ra.metrics[f], b: rb.metrics[f] });
        same = false;
      }
    }
    if (same) out.matched++;
  }
  for (const id of B.byId.keys()) if (!A.byId.has(id)) out.onlyB.push(id);
  return out;
}

/** Why the outputs do not count as the same windows, or undefined when they do. */
export function comparisonProblem(c: Comparison, names: [string, string], maxUnshared = 0.01): string | undefined {
  const [a, b] = names;
  if (c.mismatches.length > 0) {
    const shown = c.mismatches.slice(0, 5).map((m) => `${m.window} ${m.field}: ${a} ${m.a}, ${b} ${m.b}`).join('; ');
    return `${c.mismatches.length} metric value(s) differ between ${a} and ${b} (${shown})`;
  }
  if (c.repeatedA.length > 0 || c.repeatedB.length > 0) return `windows emitted more than once: ${a} ${c.repeatedA.length}, ${b} ${c.repeatedB.length} (e.g. ${[...c.repeatedA, ...c.repeatedB][0]})`;
  if (c.matched === 0 && (c.onlyA.length > 0 || c.onlyB.length > 0)) return `${a} and ${b} have no window in common (${a} ${c.onlyA.length}, ${b} ${c.onlyB.length} windows)`;
  // the same close rule on the same records leaves at most the odd window at a partition's end
  const unshared = c.onlyA.length + c.onlyB.length;
  if (unshared > maxUnshared * c.matched) {
    return `${unshared} windows only one side emitted (${a} ${c.onlyA.length}, e.g. ${c.onlyA[0] ?? '-'}; ${b} ${c.onlyB.length}, e.g. ${c.onlyB[0] ?? '-'}), over ${maxUnshared * 100} % of the ${c.matched} in common`;
  }
  return undefined;
}
