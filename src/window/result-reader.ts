/**
 * A query result's rows as plain JS objects: BIGINTs become numbers when exact (larger ones stay
 * bigint), blobs are Uint8Array, the rest as getRowObjectsJS() makes them. The column types a
 * window's results have (integers, floats, VARCHAR) are read straight from each vector's bytes
 * through DuckDB's C API: @duckdb/node-api's vectors make a BigInt per BIGINT and per validity
 * check, and look each vector's type up again; other types go through its vectors.
 */
import { DuckDBTypeId, DuckDBVector, JSDuckDBValueConverter, type DuckDBResult, type DuckDBType } from '@duckdb/node-api';
import type duckdb from '@duckdb/node-bindings';
import { bindings } from './text-vector.js';

/** Value j of a vector's n items, NULL already ruled out. */
type Read = (j: number) => unknown;
type Reader = (vector: duckdb.Vector, n: number, type: DuckDBType) => Read;

const TWO_32 = 2 ** 32;
const decoder = new TextDecoder();

const words = (vector: duckdb.Vector, n: number, width: number) => bindings.vector_get_data(vector, n * width);
/** Typed-array views need aligned data; anything else is read by `generic`. */
const aligned = (bytes: Uint8Array, width: number) => bytes.byteOffset % width === 0;

/** BIGINT as a number when exact, else a bigint (as exact() below). */
const bigint: Reader = (vector, n, type) => {
  const bytes = words(vector, n, 8);
  if (!aligned(bytes, 8)) return generic(vector, n, type);
  const w = new Int32Array(bytes.buffer, bytes.byteOffset, 2 * n);
  return (j) => {
    const v = w[2 * j + 1]! * TWO_32 + (w[2 * j]! >>> 0);
    return Number.isSafeInteger(v) ? v : new BigInt64Array(bytes.buffer, bytes.byteOffset, n)[j]!;
  };
};

/** VARCHAR: DuckDB's string_t, inline up to 12 bytes, else behind a pointer the binding reads. */
const varchar: Reader = (vector, n) => {
  const bytes = words(vector, n, 16);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return (j) => {
    const at = 16 * j;
    const len = view.getUint32(at, true);
    if (len > 12) return decoder.decode(bindings.get_data_from_pointer(bytes.buffer as ArrayBuffer, bytes.byteOffset + at + 8, len));
    let s = '';
    for (let k = 0; k < len; k++) {
      const c = bytes[at + 4 + k]!;
      if (c > 0x7f) return decoder.decode(bytes.subarray(at + 4, at + 4 + len));
      s += String.fromCharCode(c);
    }
    return s;
  };
};

const typed = <T extends { [j: number]: number }>(make: (b: ArrayBufferLike, offset: number, n: number) => T, width: number): Reader => (vector, n, type) => {
  const bytes = words(vector, n, width);
  if (!aligned(bytes, width)) return generic(vector, n, type);
  const a = make(bytes.buffer, bytes.byteOffset, n);
  return (j) => a[j];
};

/** By type id; little-endian machines only (see LITTLE_ENDIAN). */
const READERS: Partial<Record<DuckDBTypeId, Reader>> = {
  [DuckDBTypeId.BIGINT]: bigint,
  [DuckDBTypeId.VARCHAR]: varchar,
  [DuckDBTypeId.INTEGER]: typed((b, o, n) => new Int32Array(b, o, n), 4),
  [DuckDBTypeId.DOUBLE]: typed((b, o, n) => new Float64Array(b, o, n), 8),
  [DuckDBTypeId.FLOAT]: typed((b, o, n) => new Float32Array(b, o, n), 4),
};
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Any other type: @duckdb/node-api's vector and converter. */
const generic: Reader = (vector, n, type) => {
  const v = DuckDBVector.create(vector, n, type);
  const convert = converterOf(type);
  return (j) => convert(v.getItem(j));
};

export async function readRowObjects(result: DuckDBResult): Promise<Array<Record<string, unknown>>> {
  const names = result.columnNames();
  const types = result.columnTypes();
  const readers = types.map((t) => (LITTLE_ENDIAN ? READERS[t.typeId] : undefined) ?? generic);
  const rows: Array<Record<string, unknown>> = [];
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const n = chunk.rowCount;
    const vectors = names.map((_, c) => bindings.data_chunk_get_vector(chunk.chunk, c));
    const reads = vectors.map((v, c) => readers[c]!(v, n, types[c]!));
    // validity as bytes (bit j of the little-endian uint64 words; null: all valid)
    const valid = vectors.map((v) => bindings.vector_get_validity(v, Math.ceil(n / 64) * 8) as Uint8Array | null);
    for (let j = 0; j < n; j++) {
      const row: Record<string, unknown> = {};
      for (let c = 0; c < names.length; c++) {
        const mask = valid[c];
        row[names[c]!] = mask && ((mask[j >>> 3]! >>> (j & 7)) & 1) === 0 ? null : reads[c]!(j);
      }
      rows.push(row);
    }
  }
  return rows;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const exact = (v: unknown): unknown => (typeof v === 'bigint' && v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v);
const AS_IS = new Set<DuckDBTypeId>([DuckDBTypeId.BOOLEAN, DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE, DuckDBTypeId.VARCHAR]);

function converterOf(type: DuckDBType): (v: unknown) => unknown {
  if (AS_IS.has(type.typeId)) return (v) => v; // getItem() already gives the JS value
  if (type.typeId === DuckDBTypeId.BIGINT) return exact;
  return (v) => (v === null ? null : exact(JSDuckDBValueConverter(v as never, type, JSDuckDBValueConverter)));
}
