/**
 * What a metric's DuckDB result type becomes on the way out: the SQL type it is cast to (so the
 * output topic and the Parquet files hold the same values, e.g. HUGEINT sums as exact BIGINT
 * rather than Parquet's DOUBLE fallback) and the Avro type of its field.
 */
/** A column of the aggregate's result as DuckDB describes it. */
export interface ResultColumn {
  name: string;
  duckType: string;
}

export type AvroPrimitive = 'long' | 'double' | 'string' | 'boolean' | 'bytes';

export interface OutputType {
  /** Type of the cast in the aggregate query. */
  sql: 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'BOOLEAN' | 'BLOB';
  avro: AvroPrimitive;
}

const INTEGERS = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT']);
const FLOATS = new Set(['FLOAT', 'DOUBLE', 'REAL']);

/** Integers → long (a cast that overflows fails loudly), floats and decimals → double, text, booleans and blobs as is, anything else → its text form. */
export function outputType(duckType: string): OutputType {
  const t = duckType.trim().toUpperCase();
  if (INTEGERS.has(t)) return { sql: 'BIGINT', avro: 'long' };
  if (FLOATS.has(t) || t.startsWith('DECIMAL')) return { sql: 'DOUBLE', avro: 'double' };
  if (t === 'BOOLEAN') return { sql: 'BOOLEAN', avro: 'boolean' };
  if (t === 'BLOB') return { sql: 'BLOB', avro: 'bytes' };
  return { sql: 'VARCHAR', avro: 'string' };
}
