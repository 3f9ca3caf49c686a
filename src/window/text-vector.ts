/**
 * A VARCHAR column of a data chunk, written through DuckDB's C API (the binding @duckdb/node-api
 * itself uses): short ASCII strings go straight into the vector's 16-byte string_t slots, copied
 * in with one call per vector; only longer or non-ASCII strings cost a call each
 * (duckdb_vector_assign_string_element, as @duckdb/node-api's VARCHAR vector does for every string).
 * Group keys and ids are mostly short: on the page-view shape this halved the CPU of an append.
 */
import { createRequire } from 'node:module';
import type duckdb from '@duckdb/node-bindings';

const require = createRequire(import.meta.url);
/** The binding @duckdb/node-api is built on, resolved from it so both use the same copy. */
export const bindings = createRequire(require.resolve('@duckdb/node-api'))('@duckdb/node-bindings') as typeof duckdb;

/** DuckDB's string_t: a uint32 length, then up to 12 bytes inline (zero-padded), else a prefix and a pointer. */
const SLOT = 16;
const INLINE = 12;

export class TextVectorWriter {
  private readonly slots: Uint8Array<ArrayBuffer>;
  /** Validity bits, as DuckDB's uint64 words on a little-endian machine (bit set = valid). */
  private readonly valid: Uint32Array<ArrayBuffer>;
  private readonly longAt: number[] = [];
  private readonly longValues: string[] = [];

  constructor(capacity: number) {
    this.slots = new Uint8Array(capacity * SLOT);
    this.valid = new Uint32Array(Math.ceil(capacity / 64) * 2);
  }

  /** Writes `n` values (null: NULL) into a fresh chunk's vector. */
  write(vector: duckdb.Vector, n: number, valueAt: (j: number) => string | null): void {
    const slots = this.slots;
    slots.fill(0, 0, n * SLOT);
    let nulls = false;
    this.longAt.length = 0;
    this.longValues.length = 0;
    for (let j = 0; j < n; j++) {
      const s = valueAt(j);
      if (s === null) {
        if (!nulls) this.valid.fill(0xffffffff);
        nulls = true;
        this.valid[j >>> 5]! &= ~(1 << (j & 31));
      } else if (!inlineAscii(slots, j * SLOT, s)) {
        this.longAt.push(j);
        this.longValues.push(s);
      }
    }
    bindings.copy_data_to_vector(vector, 0, slots.buffer, slots.byteOffset, n * SLOT);
    for (let k = 0; k < this.longAt.length; k++) bindings.vector_assign_string_element(vector, this.longAt[k]!, this.longValues[k]!);
    if (nulls) {
      bindings.vector_ensure_validity_writable(vector);
      bindings.copy_data_to_vector_validity(vector, 0, this.valid.buffer, this.valid.byteOffset, Math.ceil(n / 64) * 8);
    }
  }
}

/**
 * Stores `s` inline at `at` when it is at most 12 ASCII characters without NUL (what
 * duckdb_vector_assign_string_element would store for it: it reads up to the first NUL); false otherwise.
 */
function inlineAscii(slots: Uint8Array, at: number, s: string): boolean {
  const len = s.length;
  if (len > INLINE) return false;
  for (let k = 0; k < len; k++) {
    const c = s.charCodeAt(k);
    if (c === 0 || c > 0x7f) return false;
  }
  slots[at] = len; // little-endian uint32 length < 256; the other three bytes stay zero
  for (let k = 0; k < len; k++) slots[at + 4 + k] = s.charCodeAt(k);
  return true;
}
