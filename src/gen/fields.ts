/**
 * What the generator can put in each field of the reader schema: a record of primitives, enums,
 * fixed, and nullable unions of those (["null", T] or [T, "null"]). Anything else is refused up
 * front with the field's name, rather than producing payloads that do not fit.
 */
import { SluiceError } from '../errors.js';

export type BaseType =
  | { kind: 'boolean' | 'int' | 'long' | 'float' | 'double' | 'string' | 'bytes'; logical?: string }
  | { kind: 'enum'; symbols: string[] }
  | { kind: 'fixed'; size: number };

export interface FieldPlan {
  name: string;
  nullable: boolean;
  /** The field has a default, so a writer may leave it out. */
  hasDefault: boolean;
  base: BaseType;
}

export interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
  [k: string]: unknown;
}
export interface AvroRecordSchema {
  type: 'record';
  name: string;
  fields: AvroField[];
  [k: string]: unknown;
}

const PRIMITIVES = new Set(['boolean', 'int', 'long', 'float', 'double', 'string', 'bytes']);

export function asRecordSchema(schema: unknown): AvroRecordSchema {
  const s = schema as Partial<AvroRecordSchema> | null;
  if (s === null || typeof s !== 'object' || s.type !== 'record' || !Array.isArray(s.fields)) {
    throw new SluiceError('BAD_ARGUMENT', 'sluice produce needs a reader schema that is an Avro record', { schema });
  }
  return s as AvroRecordSchema;
}

export function planFields(schema: AvroRecordSchema): FieldPlan[] {
  return schema.fields.map((f) => {
    const unsupported = (why: string) =>
      new SluiceError('BAD_ARGUMENT', `sluice produce cannot generate field ${f.name} (${JSON.stringify(f.type)}): ${why}`, { field: f.name });
    let t = f.type;
    let nullable = false;
    if (Array.isArray(t)) {
      const others = t.filter((b) => b !== 'null');
      if (others.length !== 1 || t.length !== 2) throw unsupported('only unions of null and one type are supported');
      nullable = true;
      t = others[0];
    }
    return { name: f.name, nullable, hasDefault: 'default' in f, base: baseType(t, unsupported) };
  });
}

function baseType(t: unknown, unsupported: (why: string) => Error): BaseType {
  if (typeof t === 'string') {
    if (PRIMITIVES.has(t)) return { kind: t as 'int' };
    throw unsupported(t === 'null' ? 'a field that is always null' : `named type references are not supported`);
  }
  const o = t as { type?: unknown; logicalType?: unknown; symbols?: unknown; size?: unknown } | null;
  if (o === null || typeof o !== 'object') throw unsupported('unknown type');
  if (o.type === 'enum' && Array.isArray(o.symbols)) return { kind: 'enum', symbols: o.symbols as string[] };
  if (o.type === 'fixed' && typeof o.size === 'number') {
    if (o.logicalType !== undefined) throw unsupported(`logical type ${String(o.logicalType)}`);
    return { kind: 'fixed', size: o.size };
  }
  if (typeof o.type === 'string' && PRIMITIVES.has(o.type)) {
    const logical = typeof o.logicalType === 'string' ? o.logicalType : undefined;
    if (logical === 'decimal' || logical === 'timestamp-micros' || logical === 'time-micros' || logical === 'local-timestamp-micros') {
      throw unsupported(`logical type ${logical}`);
    }
    return logical === undefined ? { kind: o.type as 'int' } : { kind: o.type as 'int', logical };
  }
  throw unsupported('records, arrays and maps inside the value are not supported');
}

/**
 * A writer schema the reader cannot resolve (Avro spec, "Schema Resolution"): one required reader
 * field (no default) is missing; if every field has a default, one field changes to a type that
 * does not promote to the reader's.
 */
export function incompatibleWriterSchema(schema: AvroRecordSchema, plans: FieldPlan[], avoid: ReadonlySet<string>): { schema: AvroRecordSchema; dropped?: string; changed?: string; changedTo?: 'boolean' | 'string' } {
  const required = plans.filter((p) => !p.hasDefault);
  const victim = required.find((p) => !avoid.has(p.name)) ?? required[0];
  if (victim !== undefined) {
    return { schema: { ...schema, fields: schema.fields.filter((f) => f.name !== victim.name) }, dropped: victim.name };
  }
  const first = plans[0];
  if (first === undefined) throw new SluiceError('BAD_ARGUMENT', 'the reader schema has no fields');
  // string never promotes to a number, boolean never promotes to anything else
  const other = first.base.kind === 'string' ? ('boolean' as const) : ('string' as const);
  return {
    schema: { ...schema, fields: schema.fields.map((f) => (f.name === first.name ? { name: f.name, type: other } : f)) },
    changed: first.name,
    changedTo: other,
  };
}
