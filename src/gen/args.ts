/**
 * Parsing of `sluice produce` arguments: a bad value is a BAD_ARGUMENT error that names the flag
 * and the value, never a NaN that silently produces nothing.
 */
import { SluiceError } from '../errors.js';

const bad = (flag: string, value: string, expected: string): SluiceError =>
  new SluiceError('BAD_ARGUMENT', `${flag}: expected ${expected} (got ${JSON.stringify(value)})`, { flag, value });

/** `2%` or `0.02` → 0.02; must be within [0, 1]. */
export function parseShare(flag: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$/.exec(value);
  if (m === null) throw bad(flag, value, 'a share such as 2% or 0.02');
  const share = m[2] === '%' ? Number(m[1]) / 100 : Number(m[1]);
  if (share > 1) throw bad(flag, value, 'a share between 0% and 100%');
  return share;
}

/** A whole number ≥ min; `_` separators allowed (1_000_000). */
export function parseCount(flag: string, value: string, min = 0): number {
  const n = /^\s*\d[\d_]*\s*$/.test(value) ? Number(value.replace(/[_\s]/g, '')) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw bad(flag, value, `a whole number of at least ${min}`);
  return n;
}

/** `5000/s`, `5000` or `max` (also `0`) → events per second; Infinity for as fast as possible. */
export function parseRate(flag: string, value: string): number {
  const v = value.trim().toLowerCase();
  if (v === 'max' || v === '0' || v === '0/s') return Infinity;
  const m = /^(\d+(?:\.\d*)?)(?:\/s)?$/.exec(v);
  if (m === null || !(Number(m[1]) > 0)) throw bad(flag, value, 'events per second such as 5000/s, or max');
  return Number(m[1]);
}

/** An epoch-millis number or an ISO-8601 date-time. */
export function parseTimestamp(flag: string, value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) throw bad(flag, value, 'epoch milliseconds or an ISO-8601 date-time');
  return n;
}

/** Checks that the shares leave room for valid events. */
export function checkShares(shares: Record<string, number>): void {
  const sum = Object.values(shares).reduce((a, b) => a + b, 0);
  if (sum > 1 + 1e-9) {
    const list = Object.entries(shares).map(([k, v]) => `${k} ${+(v * 100).toFixed(4)}%`).join(', ');
    throw new SluiceError('BAD_ARGUMENT', `${list} add up to more than 100%`, { shares });
  }
}
