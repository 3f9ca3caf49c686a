/**
 * Window kinds, registered by name (benthos-style): each kind turns its topology spec into an
 * assigner, so TaskWindows and the state never branch on the kind.
 * Time windows are `[start, start + size)` aligned to the epoch, and none starts before it
 * (docs/windows.md): as in Kafka Streams, a hopping record near 0 belongs to fewer windows.
 */
import { SluiceError } from '../errors.js';
import type { WindowSpec } from '../topology/schema.js';

/** A window `[start, end)` in event-time milliseconds. */
export interface TimeWindow {
  start: number;
  end: number;
}

export interface WindowAssigner {
  /** Every window that contains `ts` and starts at or after the epoch, oldest first (none for ts < 0: decode rejects those). */
  windowsOf(ts: number): TimeWindow[];
  /** The smallest stream time at which `w` is final: it closes once `streamTime >= closesAt(w)`. */
  closesAt(w: TimeWindow): number;
}

type SpecOf<K extends WindowSpec['type']> = Extract<WindowSpec, { type: K }>;

/**
 * A kind builds an assigner from its spec. Sessions fit here later as a *merging* kind: their
 * assigner gets the open windows (`windowsOf(ts, open)`) and may return merges ({from, into})
 * that TaskWindows applies to its bookkeeping and DuckState to the rows (`UPDATE … SET __wstart,
 * __wend`); `closesAt` is `end + gap + grace + 1` since a session is final only when
 * `streamTime > end + gap + grace`. Non-merging kinds (tumbling, hopping) need none of that.
 */
export type WindowKind<K extends WindowSpec['type']> = (spec: SpecOf<K>) => WindowAssigner;

/** `ts mod m` in [0, m), also for negative timestamps (JS `%` keeps the dividend's sign). */
const floorMod = (ts: number, m: number): number => ((ts % m) + m) % m;

const tumbling: WindowKind<'tumbling'> = ({ size, grace }) => {
  positive('size', size);
  return {
    windowsOf: (ts) => {
      const start = ts - floorMod(ts, size);
      return start >= 0 ? [{ start, end: start + size }] : [];
    },
    closesAt: (w) => w.end + grace,
  };
};

const hopping: WindowKind<'hopping'> = ({ size, advance, grace }) => {
  positive('size', size);
  positive('advance', advance);
  if (advance > size) throw invalid('advance', advance, `must be at most size (${size} ms)`);
  return {
    windowsOf: (ts) => {
      // the newest window starts at the last multiple of advance <= ts; older ones while ts < start + size
      const newest = ts - floorMod(ts, advance);
      const out: TimeWindow[] = [];
      for (let start = newest; start > ts - size && start >= 0; start -= advance) out.push({ start, end: start + size });
      return out.reverse();
    },
    closesAt: (w) => w.end + grace,
  };
};

const KINDS: { [K in WindowSpec['type']]?: WindowKind<K> } = { tumbling, hopping };

/** The assigner for a topology's window spec; an unregistered kind (session, for now) is a user error. */
export function windowAssigner(spec: WindowSpec): WindowAssigner {
  const kind = KINDS[spec.type] as WindowKind<typeof spec.type> | undefined;
  if (!kind) {
    throw new SluiceError('TOPOLOGY_INVALID', `window.type "${spec.type}" is not supported yet (supported: ${Object.keys(KINDS).join(', ')})`, {
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
