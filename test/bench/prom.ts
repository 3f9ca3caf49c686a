/**
 * Just enough of the Prometheus text format to read sluice's /metrics: samples by name and labels,
 * counter sums, and histogram quantiles interpolated within buckets as PromQL's
 * histogram_quantile does (linear inside the bucket that holds the rank).
 * https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile
 */

export interface Sample { name: string; labels: Record<string, string>; value: number }

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseProm(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include `where`. */
export function sumOf(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

export interface Histogram { buckets: Array<{ le: number; count: number }>; sum: number; count: number }

/** The cumulative buckets of histogram `name` (summed over any other labels). */
export function histogramOf(samples: Sample[], name: string): Histogram {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  const buckets = [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  return { buckets, sum: sumOf(samples, `${name}_sum`), count: sumOf(samples, `${name}_count`) };
}

/**
 * The q-quantile, linear within the bucket holding rank q × count (lower bound 0 for the first
 * bucket); a rank in the +Inf bucket gives the largest finite bound. NaN when empty.
 */
export function quantile(h: Histogram, q: number): number {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower;
      const inBucket = b.count - below;
      return inBucket === 0 ? b.le : lower + ((b.le - lower) * (rank - below)) / inBucket;
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

/** The bucket bounds around the q-quantile, to print next to the interpolated value. */
export function bucketOf(h: Histogram, q: number): [number, number] {
  const total = h.buckets.at(-1)?.count ?? 0;
  let lower = 0;
  for (const b of h.buckets) {
    if (b.count >= q * total) return [lower, b.le];
    lower = b.le;
  }
  return [lower, Infinity];
}
