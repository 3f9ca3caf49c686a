/**
 * The output Avro schema derived from the aggregate's result columns (used when the topology
 * names no schema file): group_by fields keep their reader-schema types, window bounds are
 * timestamp-millis, metrics are nullable unions of the type result-types.ts casts them to.
 */
import { fieldType, namedTypes } from '../window/columns.js';
import { outputType, type ResultColumn } from '../window/result-types.js';

export type { ResultColumn };
import { WINDOW_COLUMNS } from '../window/sql.js';

export interface AvroField {
  name: string;
  type: unknown;
  default?: null;
}

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace: string;
  doc: string;
  fields: AvroField[];
}

const PRIMITIVE = new Set(['int', 'long', 'float', 'double', 'string', 'boolean', 'bytes']);

/** An Avro name ([A-Za-z_][A-Za-z0-9_]*) from a topology or sink name such as `page_views-10s`. */
export function avroName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

export function resultAvroSchema(opts: {
  /** Topology or sink name; sanitized into the record name. */
  name: string;
  namespace?: string;
  columns: readonly ResultColumn[];
  groupBy: readonly string[];
  /** The topology's reader schema, so group_by fields keep their Avro types. */
  readerSchema?: Record<string, unknown>;
}): AvroRecordSchema {
  const keys = new Set(opts.groupBy);
  const readerFields = new Map<string, unknown>();
  for (const f of Array.isArray(opts.readerSchema?.fields) ? opts.readerSchema.fields : []) {
    if (f && typeof f === 'object' && 'name' in f) readerFields.set(String(f.name), (f as { type: unknown }).type);
  }
  const named = opts.readerSchema ? namedTypes(opts.readerSchema) : new Map<string, string>();
  const fields = opts.columns.map((c): AvroField => {
    if ((WINDOW_COLUMNS as readonly string[]).includes(c.name)) return { name: c.name, type: { type: 'long', logicalType: 'timestamp-millis' } };
    if (keys.has(c.name)) {
      const kept = keepableType(readerFields.get(c.name), named);
      if (kept !== undefined) return Array.isArray(kept) && kept[0] === 'null' ? { name: c.name, type: kept, default: null } : { name: c.name, type: kept };
    }
    return { name: c.name, type: ['null', outputType(c.duckType).avro], default: null };
  });
  return { type: 'record', name: avroName(opts.name), namespace: opts.namespace ?? 'sluice.output', doc: `Window results of ${opts.name}`, fields };
}

/**
 * A reader type that can be copied as is: primitives (with logical types), nullable primitives
 * and inline enums. Named references and complex types are stored as text in DuckDB, so they fall
 * back to the result column's type.
 */
function keepableType(type: unknown, named: ReadonlyMap<string, string>): unknown {
  if (type === undefined) return undefined;
  const t = fieldType(type, named);
  const inner = Array.isArray(type) ? type.find((b) => b !== 'null') : type;
  if (PRIMITIVE.has(t.avro)) return type;
  if (t.avro === 'enum' && typeof inner === 'object' && inner !== null) return type;
  return undefined;
}
