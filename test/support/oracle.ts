/**
 * The independent oracle: what sluice must output, computed from the input alone with plain,
 * obviously-correct code (no import from src/). Semantics: docs/windows.md, docs/exactly-once.md.
 *
 * - Each partition is processed alone, in offset order; each has its own stream time and windows
 *   (a group key present in two partitions gives two rows: rows are keyed by partition too).
 * - Invalid records (no event, or a null event time / dedup key) → dead letter.
 * - Dedup is global by dedup key, first seen wins. "First" across partitions is ambiguous, so
 *   inputs must keep a key's duplicates in its original's partition (the generator does: a
 *   duplicate re-sends the same Kafka key). Partitions are visited in ascending order. The dedup
 *   TTL is assumed longer than the test.
 * - A valid record with a null group_by value, or one the `filter` option rejects (the topology's
 *   filter, written in JS by the test), is dropped before dedup: it neither counts nor advances
 *   stream time.
 * - Invalid records and duplicates do not advance stream time. Stream time = max event time,
 *   including the current record. Windows are [start, start + size), starts aligned to the epoch
 *   on multiples of the advance; a record goes to each of its windows with end + grace > stream
 *   time; if there is none it is late. No window starts before the epoch (a hopping record near 0
 *   belongs to fewer windows).
 * - A window is emitted iff it is closed at the end of the input (end + grace <= the final stream
 *   time of its partition); the others are reported as pending.
 * - Sessions (gap, grace; G = gap + grace + 1): a record is late iff ts + G <= stream time (its
 *   own [ts, ts] is closed). Two on-time records of a key are linked iff |ts_a - ts_b| <= gap and
 *   each stream time it was judged at is below the other's ts + G; a session is a connected set of
 *   linked records, [min ts, max ts], closed iff max ts + G <= the final stream time (keyed: the
 *   minimum). Computed as connected components over all records at the end, not incrementally.
 * - Keyed mode (a two-stage topology, docs/keyed-windows.md): lateness and stream time as above,
 *   per source partition; but a window is per group key across partitions (partition -1), holding
 *   every on-time record of the key in the windows that were open in the record's own partition,
 *   and it is emitted iff end + grace <= the smallest final stream time over all partitions given
 *   (a partition without a valid record holds every window back).
 * Metric values are JS numbers: exact for integer sums below 2^53 and for count/min/max/quantile_cont
 * (bit for bit with DuckDB); a sum of doubles may differ in its last bits with DuckDB's summation
 * order, so compare those with a tolerance, and convert DuckDB's BIGINT/HUGEINT (bigint) first.
 */

export interface OracleRecord {
  offset: number;
  /** The value as decoded with the reader schema; null when it cannot be decoded. */
  event: Record<string, unknown> | null;
}

/** The parts of a topology the oracle needs; a TopologySpec fits this shape. */
export interface OracleTopology {
  source: { event_time: string };
  dedup?: { key: string | readonly string[] } | undefined;
  window: { type: 'tumbling'; size: number; grace: number } | { type: 'hopping'; size: number; advance: number; grace: number } | { type: 'session'; gap: number; grace: number };
  aggregate: { group_by: readonly string[]; metrics: Readonly<Record<string, string>> };
}

export interface Position {
  partition: number;
  offset: number;
}

/** A late record and what its late-topic headers must say (the newest of its windows, all closed). */
export interface LateRecord extends Position {
  eventTime: number;
  window: { start: number; end: number };
  /** Stream time (including this record) minus the window's end + grace. */
  lateByMs: number;
}

export interface ExpectedWindow {
  partition: number;
  start: number;
  end: number;
  /** The group-by values, by field name. */
  group: Record<string, unknown>;
  /** Metric values by metric name; numbers (DuckDB may return bigints: normalise before comparing). */
  metrics: Record<string, number | null>;
  /** Source offsets of the rows aggregated in this window. */
  offsets: number[];
}

export interface OracleResult {
  /** Closed windows, ordered by partition, start, group. */
  windows: ExpectedWindow[];
  /** Windows still open at the end of the input: not emitted yet. */
  pending: ExpectedWindow[];
  deadLetters: Position[];
  late: LateRecord[];
  duplicates: Position[];
  /** Valid records with a null (or absent) group_by value: dropped, no stream-time advance. */
  nullKeys: Position[];
  /** Valid records the `filter` option rejected: dropped before dedup, no stream-time advance. */
  filtered: Position[];
  /** Final stream time per partition (absent when a partition has no valid record). */
  streamTime: Map<number, number>;
}

type Metric = (rows: Record<string, unknown>[]) => number | null;

export interface OracleOptions {
  /** Windows per group key across partitions, closed by the minimum stream time (two stages). */
  keyed?: boolean;
  /** The topology's `filter:`, written in JS by the test (the oracle runs no SQL): true keeps the record. */
  filter?: (event: Record<string, unknown>, at: Position) => boolean;
}

export function oracle(partitions: ReadonlyMap<number, readonly OracleRecord[]>, topology: OracleTopology, options: OracleOptions = {}): OracleResult {
  const w = topology.window;
  if (w.type === 'session') return sessionOracle(partitions, topology, w, options);
  const size = w.size;
  const advance = w.type === 'hopping' ? w.advance : w.size;
  const grace = w.grace;
  const eventTime = topology.source.event_time;
  const dedupFields = topology.dedup === undefined ? [] : typeof topology.dedup.key === 'string' ? [topology.dedup.key] : [...topology.dedup.key];
  const groupBy = [...topology.aggregate.group_by];
  const metrics = Object.entries(topology.aggregate.metrics).map(([name, expr]) => [name, parseMetric(expr)] as const);

  const result: OracleResult = { windows: [], pending: [], deadLetters: [], late: [], duplicates: [], nullKeys: [], filtered: [], streamTime: new Map() };
  const seen = new Set<string>();
  type Open = Map<string, { start: number; group: Record<string, unknown>; rows: Record<string, unknown>[]; offsets: number[] }>;
  const keyed: Open = new Map();
  const finish = (open: Open, partition: number, closedBy: number): void => {
    for (const win of open.values()) {
      const out: ExpectedWindow = {
        partition,
        start: win.start,
        end: win.start + size,
        group: win.group,
        metrics: Object.fromEntries(metrics.map(([name, f]) => [name, f(win.rows)])),
        offsets: win.offsets,
      };
      (out.end + grace <= closedBy ? result.windows : result.pending).push(out);
    }
  };

  for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
    let streamTime = -Infinity;
    const open: Open = options.keyed ? keyed : new Map();
    for (const { offset, event } of partitions.get(partition)!) {
      const here = { partition, offset };
      const ts = event?.[eventTime];
      if (event === null || typeof ts !== 'number' || dedupFields.some((f) => event[f] === null || event[f] === undefined)) {
        result.deadLetters.push(here);
        continue;
      }
      if (dropped(event, here, groupBy, options, result)) continue;
      if (dedupFields.length > 0) {
        const key = JSON.stringify(dedupFields.map((f) => String(event[f])));
        if (seen.has(key)) {
          result.duplicates.push(here);
          continue;
        }
        seen.add(key);
      }
      streamTime = Math.max(streamTime, ts);
      // every start s = k·advance with s <= ts < s + size, newest first
      const starts: number[] = [];
      // none before the epoch: Kafka Streams creates no window with a negative start
      for (let s = Math.floor(ts / advance) * advance; s > ts - size && s >= 0; s -= advance) starts.push(s);
      const live = starts.filter((s) => s + size + grace > streamTime);
      if (live.length === 0) {
        const newest = { start: starts[0]!, end: starts[0]! + size };
        result.late.push({ ...here, eventTime: ts, window: newest, lateByMs: streamTime - (newest.end + grace) });
        continue;
      }
      const group = Object.fromEntries(groupBy.map((f) => [f, event[f]]));
      for (const start of live) {
        const id = JSON.stringify([start, groupBy.map((f) => event[f])]);
        let win = open.get(id);
        if (win === undefined) open.set(id, (win = { start, group, rows: [], offsets: [] }));
        win.rows.push(event);
        win.offsets.push(offset);
      }
    }
    if (streamTime > -Infinity) result.streamTime.set(partition, streamTime);
    if (!options.keyed) finish(open, partition, streamTime);
  }
  if (options.keyed) {
    const times = [...partitions.keys()].map((p) => result.streamTime.get(p) ?? -Infinity);
    finish(keyed, -1, times.length === 0 ? -Infinity : Math.min(...times));
  }
  const order = (a: ExpectedWindow, b: ExpectedWindow) =>
    a.partition - b.partition || a.start - b.start || compare(JSON.stringify(Object.values(a.group)), JSON.stringify(Object.values(b.group)));
  result.windows.sort(order);
  result.pending.sort(order);
  return result;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A null group key, then the filter: the record is dropped before dedup and counts nowhere (docs/windows.md). */
function dropped(event: Record<string, unknown>, at: Position, groupBy: readonly string[], options: OracleOptions, result: OracleResult): boolean {
  if (groupBy.some((f) => event[f] === null || event[f] === undefined)) {
    result.nullKeys.push(at);
    return true;
  }
  if (options.filter && !options.filter(event, at)) {
    result.filtered.push(at);
    return true;
  }
  return false;
}

interface Admitted { partition: number; offset: number; ts: number; judged: number; event: Record<string, unknown> }

/** The shared part: dead letters, dedup, stream time per partition, in partition then offset order. */
function admit(partitions: ReadonlyMap<number, readonly OracleRecord[]>, topology: OracleTopology, result: OracleResult, options: OracleOptions, each: (r: Admitted) => void): void {
  const eventTime = topology.source.event_time;
  const dedupFields = topology.dedup === undefined ? [] : typeof topology.dedup.key === 'string' ? [topology.dedup.key] : [...topology.dedup.key];
  const seen = new Set<string>();
  for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
    let streamTime = -Infinity;
    for (const { offset, event } of partitions.get(partition)!) {
      const ts = event?.[eventTime];
      if (event === null || typeof ts !== 'number' || dedupFields.some((f) => event[f] === null || event[f] === undefined)) {
        result.deadLetters.push({ partition, offset });
        continue;
      }
      if (dropped(event, { partition, offset }, [...topology.aggregate.group_by], options, result)) continue;
      if (dedupFields.length > 0) {
        const key = JSON.stringify(dedupFields.map((f) => String(event[f])));
        if (seen.has(key)) {
          result.duplicates.push({ partition, offset });
          continue;
        }
        seen.add(key);
      }
      streamTime = Math.max(streamTime, ts);
      each({ partition, offset, ts, judged: streamTime, event });
    }
    if (streamTime > -Infinity) result.streamTime.set(partition, streamTime);
  }
}

function sessionOracle(
  partitions: ReadonlyMap<number, readonly OracleRecord[]>,
  topology: OracleTopology,
  w: { gap: number; grace: number },
  options: OracleOptions,
): OracleResult {
  const G = w.gap + w.grace + 1;
  const groupBy = [...topology.aggregate.group_by];
  const metrics = Object.entries(topology.aggregate.metrics).map(([name, expr]) => [name, parseMetric(expr)] as const);
  const result: OracleResult = { windows: [], pending: [], deadLetters: [], late: [], duplicates: [], nullKeys: [], filtered: [], streamTime: new Map() };
  const byKey = new Map<string, Admitted[]>();
  admit(partitions, topology, result, options, (r) => {
    if (r.ts + G <= r.judged) {
      result.late.push({ partition: r.partition, offset: r.offset, eventTime: r.ts, window: { start: r.ts, end: r.ts }, lateByMs: r.judged - (r.ts + G) });
      return;
    }
    const id = JSON.stringify([options.keyed ? -1 : r.partition, groupBy.map((f) => r.event[f])]);
    const list = byKey.get(id);
    if (list === undefined) byKey.set(id, [r]);
    else list.push(r);
  });
  const times = [...partitions.keys()].map((p) => result.streamTime.get(p) ?? -Infinity);
  const minimum = times.length === 0 ? -Infinity : Math.min(...times);
  for (const records of byKey.values()) {
    // connected components of the link relation, by a plain union-find over every pair within gap
    // (pairs visited in event-time order, so that a key with 50k records stays affordable)
    const parent = records.map((_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
    const byTs = records.map((_, i) => i).sort((x, y) => records[x]!.ts - records[y]!.ts);
    for (let x = 0; x < byTs.length; x++) {
      for (let y = x + 1; y < byTs.length && records[byTs[y]!]!.ts - records[byTs[x]!]!.ts <= w.gap; y++) {
        const [i, j] = [byTs[x]!, byTs[y]!];
        const [a, b] = [records[i]!, records[j]!];
        if (a.judged < b.ts + G && b.judged < a.ts + G) parent[find(i)] = find(j);
      }
    }
    const components = new Map<number, Admitted[]>();
    for (let i = 0; i < records.length; i++) {
      const root = find(i);
      const list = components.get(root);
      if (list === undefined) components.set(root, [records[i]!]);
      else list.push(records[i]!);
    }
    for (const members of components.values()) {
      const first = members[0]!;
      const partition = options.keyed ? -1 : first.partition;
      const start = Math.min(...members.map((m) => m.ts));
      const end = Math.max(...members.map((m) => m.ts));
      const closedBy = options.keyed ? minimum : result.streamTime.get(first.partition)!;
      const rows = members.map((m) => m.event);
      const out: ExpectedWindow = {
        partition,
        start,
        end,
        group: Object.fromEntries(groupBy.map((f) => [f, first.event[f]])),
        metrics: Object.fromEntries(metrics.map(([name, f]) => [name, f(rows)])),
        offsets: members.map((m) => m.offset),
      };
      (end + G <= closedBy ? result.windows : result.pending).push(out);
    }
  }
  const order = (a: ExpectedWindow, b: ExpectedWindow) =>
    a.partition - b.partition || a.start - b.start || a.end - b.end || compare(JSON.stringify(Object.values(a.group)), JSON.stringify(Object.values(b.group)));
  result.windows.sort(order);
  result.pending.sort(order);
  return result;
}

/**
 * The demo's metric expressions, evaluated as DuckDB does: aggregates skip NULLs, return NULL
 * over no non-NULL value (count returns 0).
 */
export function parseMetric(expr: string): Metric {
  const e = expr.trim();
  const call = /^(\w+)\s*\(\s*(distinct\s+)?([\w*]+)\s*(?:,\s*([\d.]+)\s*)?\)$/i.exec(e);
  if (call === null) throw new Error(`oracle: unsupported metric expression ${expr}`);
  const fn = call[1]!.toLowerCase();
  const distinct = call[2] !== undefined;
  const field = call[3]!;
  const q = call[4] === undefined ? undefined : Number(call[4]);
  const values = (rows: Record<string, unknown>[]) =>
    rows.map((r) => r[field]).filter((v): v is number | string | boolean => v !== null && v !== undefined);
  const numbers = (rows: Record<string, unknown>[]) => values(rows).map(Number);
  if (fn === 'count' && field === '*' && !distinct) return (rows) => rows.length;
  if (fn === 'count' && distinct) return (rows) => new Set(values(rows).map((v) => (typeof v === 'number' ? v : String(v)))).size;
  if (fn === 'count') return (rows) => values(rows).length;
  if (distinct) throw new Error(`oracle: unsupported metric expression ${expr}`);
  if (fn === 'sum') return (rows) => nullIfEmpty(numbers(rows), (xs) => xs.reduce((a, b) => a + b, 0));
  if (fn === 'min') return (rows) => nullIfEmpty(numbers(rows), (xs) => Math.min(...xs));
  if (fn === 'max') return (rows) => nullIfEmpty(numbers(rows), (xs) => Math.max(...xs));
  if (fn === 'avg') return (rows) => nullIfEmpty(numbers(rows), (xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
  if ((fn === 'quantile_cont' || fn === 'median') && (q !== undefined || fn === 'median')) {
    return (rows) => nullIfEmpty(numbers(rows), (xs) => quantileCont(xs, q ?? 0.5));
  }
  throw new Error(`oracle: unsupported metric expression ${expr}`);
}

const nullIfEmpty = (xs: number[], f: (xs: number[]) => number): number | null => (xs.length === 0 ? null : f(xs));

/**
 * DuckDB's quantile_cont: sort, position RN = (n − 1)·q, lo = v[floor RN], hi = v[ceil RN],
 * d = RN − floor RN, result lo·(1 − d) + hi·d in doubles. That form, not lo + (hi − lo)·d, is
 * what DuckDB 1.5 returns bit for bit (checked against @duckdb/node-api in test/unit/oracle.test.ts).
 */
export function quantileCont(xs: readonly number[], q: number): number {
  const v = [...xs].sort((a, b) => a - b);
  const rn = (v.length - 1) * q;
  const frn = Math.floor(rn);
  const crn = Math.ceil(rn);
  const lo = v[frn]!;
  if (frn === crn) return lo;
  const d = rn - frn;
  return lo * (1 - d) + v[crn]! * d;
}
