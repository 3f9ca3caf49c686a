/**
 * The DuckDB columns that hold a decoded Avro value: one column per top-level field of the reader
 * schema. Shared by the validator (metric SQL is prepared against these columns) and the window
 * state table, so both see the same types. Pure: no DuckDB import.
 */
export interface Column {
  name: string;
  duckType: string;
  nullable: boolean;
}

type AvroType = string | Record<string, unknown> | unknown[];

const PRIMITIVES: Readonly<Record<string, string>> = {
  int: 'INTEGER',
  long: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  string: 'VARCHAR',
  boolean: 'BOOLEAN',
  bytes: 'BLOB',
};

/** What a field's type is once a nullable union is unwrapped; `named` resolves references to enums, fixed and records. */
export interface FieldType {
  /** Avro type name: a primitive, or enum | fixed | record | array | map | union. */
  avro: string;
  logicalType?: string;
  nullable: boolean;
}

/** Classifies an Avro field type: `["null", T]` (either order) is T and nullable; other unions stay `union`. */
export function fieldType(type: unknown, named: ReadonlyMap<string, string> = new Map()): FieldType {
  if (Array.isArray(type)) {
    const others = type.filter((t) => t !== 'null' && !(isObject(t) && t.type === 'null'));
    if (others.length === 1 && others.length < type.length) return { ...fieldType(others[0], named), nullable: true };
    return { avro: others.length === 0 ? 'null' : 'union', nullable: others.length < type.length };
  }
  if (typeof type === 'string') return { avro: named.get(type) ?? type, nullable: type === 'null' };
  if (isObject(type)) {
    const inner = type.type;
    // {"type": {"type": "long"}} nests; logicalType sits on the object that names the primitive
    if (isObject(inner) || Array.isArray(inner)) return fieldType(inner, named);
    const avro = typeof inner === 'string' ? (named.get(inner) ?? inner) : 'unknown';
    const logicalType = typeof type.logicalType === 'string' ? type.logicalType : undefined;
    return logicalType ? { avro, logicalType, nullable: false } : { avro, nullable: false };
  }
  return { avro: 'unknown', nullable: false };
}

/** DuckDB type for an Avro field type: primitives map 1:1 (logical types keep their physical type), enums are text, anything complex is JSON text. */
export function duckTypeOf(t: FieldType): string {
  if (t.avro === 'enum') return 'VARCHAR';
  if (t.avro === 'fixed') return 'BLOB';
  return PRIMITIVES[t.avro] ?? 'VARCHAR';
}

/** Columns for the top-level fields of an Avro record schema, in field order. */
export function columnsFromAvro(schema: Record<string, unknown>): Column[] {
  const named = namedTypes(schema);
  const fields = Array.isArray(schema.fields) ? schema.fields : [];
  return fields.filter(isObject).map((f) => {
    const t = fieldType(f.type as AvroType, named);
    return { name: String(f.name), duckType: duckTypeOf(t), nullable: t.nullable };
  });
}

/** Full and short names of every named type (record, enum, fixed) defined in the schema → its kind. */
export function namedTypes(schema: unknown, namespace = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(schema)) {
    for (const s of schema) namedTypes(s, namespace, out);
    return out;
  }
  if (!isObject(schema)) return out;
  const kind = schema.type;
  if ((kind === 'record' || kind === 'error' || kind === 'enum' || kind === 'fixed') && typeof schema.name === 'string') {
    const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    const full = schema.name.includes('.') || !ns ? schema.name : `${ns}.${schema.name}`;
    const kindName = kind === 'error' ? 'record' : kind;
    out.set(full, kindName);
    out.set(full.slice(full.lastIndexOf('.') + 1), kindName);
    const childNs = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : '';
    if (Array.isArray(schema.fields)) for (const f of schema.fields) if (isObject(f)) namedTypes(f.type, childNs, out);
    return out;
  }
  if (isObject(kind) || Array.isArray(kind)) namedTypes(kind, namespace, out);
  if (kind === 'array') namedTypes(schema.items, namespace, out);
  if (kind === 'map') namedTypes(schema.values, namespace, out);
  return out;
}

/** A DuckDB identifier in double quotes, so field names that are SQL keywords (`order`, `group`) still work. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
