/**
 * Window kinds, registered by name (benthos-style): each kind turns its topology spec into an
 * assigner (which windows a timestamp falls in, when a window closes) and into the bookkeeping of
 * a task's open windows, so TaskWindows, WatermarkWindows and the state never branch on the kind.
 * Time windows are `[start, start + size)` aligned to the epoch, and none starts before it (as in
 * Kafka Streams, a hopping record near 0 belongs to fewer windows); sessions are closed intervals
 * per group key that merge (docs/windows.md).
 */
import { SluiceError } from '../errors.js';
import type { WindowSpec } from '../topology/schema.js';
import { SessionBook } from './session-book.js';
import { TimeBook, type WindowBook } from './window-book.js';

/**
 * A window in event-time milliseconds: `[start, end)` for time windows, shared by every group key
 * of a task; `[start, end]` for a session, which belongs to one group key (`key`) and whose rows
 * are stored under the ids in `slots` (its own and those of the sessions merged into it).
 */
export interface TimeWindow {
  start: number;
  end: number;
  key?: string;
  slots?: readonly number[];
}

export interface WindowAssigner {
  /** Every window that contains `ts` on its own, oldest first (a session: `[ts, ts]`, before any merge); none starts before the epoch. */
  windowsOf(ts: number): TimeWindow[];
  /** The smallest stream time at which `w` is final: it closes once `streamTime >= closesAt(w)`. */
  closesAt(w: TimeWindow): number;
  /** Windows of a key merge (sessions): open windows are not derivable from a stream time alone. */
  readonly merging: boolean;
  /** A task's open windows; `emittedBy`: the closing time of the checkpoint a restore starts from. */
  book(emittedBy?: number): WindowBook;
  /**
   * How the windows one commit closes become Parquet files (`seq`: the commit's read position).
   * Time windows: a file per window; sessions: one file for all of them (docs/windows.md).
   */
  files(windows: readonly TimeWindow[], seq: number): OutputFile[];
}

/** A Parquet file as a checkpoint names it: its key comes from these numbers alone (sink/parquet.ts). */
export interface FileRef {
  /** The smallest window_start and the largest window_end in the file. */
  start: number;
  end: number;
  /** Sessions: the read position of the commit that made it, so two commits never name the same file. */
  seq?: number;
}

/** A Parquet file of a commit and the windows whose rows it holds. */
export interface OutputFile extends FileRef {
  windows: readonly TimeWindow[];
}

type SpecOf<K extends WindowSpec['type']> = Extract<WindowSpec, { type: K }>;

/** A kind builds an assigner from its spec. */
export type WindowKind<K extends WindowSpec['type']> = (spec: SpecOf<K>) => WindowAssigner;

/** `ts mod m` in [0, m), also for negative timestamps (JS `%` keeps the dividend's sign). */
const floorMod = (ts: number, m: number): number => ((ts % m) + m) % m;

/** What tumbling and hopping share: windows are time bounds of every key, a file each. */
function timeKind(windowsOf: (ts: number) => TimeWindow[], grace: number): WindowAssigner {
  const a: WindowAssigner = {
    windowsOf,
    closesAt: (w) => w.end + grace,
    merging: false,
    book: () => new TimeBook(a),
    files: (windows) => windows.map((w) => ({ start: w.start, end: w.end, windows: [w] })),
  };
  return a;
}

const tumbling: WindowKind<'tumbling'> = ({ size, grace }) => {
  positive('size', size);
  return timeKind((ts) => {
    const start = ts - floorMod(ts, size);
    return start >= 0 ? [{ start, end: start + size }] : [];
  }, grace);
};

const hopping: WindowKind<'hopping'> = ({ size, advance, grace }) => {
  positive('size', size);
  positive('advance', advance);
  if (advance > size) throw invalid('advance', advance, `must be at most size (${size} ms)`);
  return timeKind((ts) => {
    // the newest window starts at the last multiple of advance <= ts; older ones while ts < start + size
    const newest = ts - floorMod(ts, advance);
    const out: TimeWindow[] = [];
    for (let start = newest; start > ts - size && start >= 0; start -= advance) out.push({ start, end: start + size });
    return out.reverse();
  }, grace);
};

/**
 * A merging kind: a session is final once stream time > end + gap + grace (as Kafka Streams 3.x
 * closes them), so `closesAt` is end + gap + grace + 1; the bookkeeping merges (session-book.ts).
 */
const session: WindowKind<'session'> = ({ gap, grace }) => {
  positive('gap', gap);
  const closesAt = (w: TimeWindow) => w.end + gap + grace + 1;
  return {
    windowsOf: (ts) => [{ start: ts, end: ts }],
    closesAt,
    merging: true,
    book: (emittedBy) => new SessionBook(gap, closesAt, emittedBy),
    files: (windows, seq) =>
      windows.length === 0 ? [] : [{ start: Math.min(...windows.map((w) => w.start)), end: Math.max(...windows.map((w) => w.end)), seq, windows }],
  };
};

const KINDS: { [K in WindowSpec['type']]: WindowKind<K> } = { tumbling, hopping, session };

/** The assigner for a topology's window spec; a bad size, advance or gap is a user error. */
export function windowAssigner(spec: WindowSpec): WindowAssigner {
  const kind = KINDS[spec.type] as WindowKind<typeof spec.type> | undefined;
  if (!kind) {
    throw new SluiceError('TOPOLOGY_INVALID', `window.type "${spec.type}" is not supported (supported: ${Object.keys(KINDS).join(', ')})`, {
      field: 'window.type',
      value: spec.type,
    });
  }
  return kind(spec as never);
}

function positive(field: string, v: number): void {
  if (!(Number.isSafeInteger(v) && v > 0)) throw invalid(field, v, 'must be a positive duration');
}

const invalid = (field: string, value: number, why: string): SluiceError =>
  new SluiceError('TOPOLOGY_INVALID', `window.${field} = ${value} ms ${why}`, { field: `window.${field}`, value });
