/**
 * Crash points for failure tests, off unless SLUICE_FAULTS is set, e.g.
 * `SLUICE_FAULTS=before-commit:0.02,after-commit:0.02`: at that point of a batch the process
 * SIGKILLs itself with that probability, so a harness can crash a replica at the worst instants
 * (bytewax's testing sources inject aborts the same way).
 */
export const CRASH_POINTS = ['after-append', 'before-commit', 'after-commit', 'mid-publish'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

function parse(spec: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of (spec ?? '').split(',')) {
    const [name, p] = part.split(':');
    if (name && (CRASH_POINTS as readonly string[]).includes(name.trim())) out.set(name.trim(), Number(p ?? 1));
  }
  return out;
}

const points = parse(process.env.SLUICE_FAULTS);

export function crashPoint(point: CrashPoint): void {
  if (points.size === 0) return;
  const p = points.get(point);
  if (p !== undefined && Math.random() < p) {
    process.stderr.write(`sluice: fault injection: SIGKILL at ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
