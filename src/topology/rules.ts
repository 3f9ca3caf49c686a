/**
 * Cross-field rules the shape alone cannot express: window durations, dedup TTL against the
 * window (docs/exactly-once.md, "Configuration rules that follow"), and fields against the reader
 * schema. Pure: each rule returns problems with the path they concern.
 */
import { parseS3Url } from '../sink/storage/s3-settings.js';
import { fieldType, namedTypes, type FieldType } from '../window/columns.js';
import { reservedName } from '../window/metadata.js';
import { WINDOW_COLUMNS, type AggregateSpec } from '../window/sql.js';
import { formatDuration } from './duration.js';
import type { Path } from './positions.js';
import type { TopologySpec } from './schema.js';

export interface RuleProblem {
  path: Path;
  message: string;
  /** Point at the key rather than its value (a badly chosen name). */
  at?: 'key';
}

export function durationRules(spec: TopologySpec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const w = spec.window;
  if (w.type === 'session') {
    if (w.gap <= 0) problems.push({ path: ['window', 'gap'], message: 'must be greater than 0' });
  } else {
    if (w.size <= 0) problems.push({ path: ['window', 'size'], message: 'must be greater than 0' });
    if (w.type === 'hopping') {
      if (w.advance <= 0) problems.push({ path: ['window', 'advance'], message: 'must be greater than 0' });
      else if (w.advance > w.size) {
        problems.push({ path: ['window', 'advance'], message: `must be at most window.size (${formatDuration(w.size)}); a larger hop would skip events between windows` });
      }
    }
  }
  if (spec.dedup) {
    const [span, spanName] = w.type === 'session' ? [w.gap, 'window.gap'] : [w.size, 'window.size'];
    const horizon = span + w.grace;
    if (spec.dedup.ttl <= horizon) {
      problems.push({
        path: ['dedup', 'ttl'],
        message:
          `must be longer than ${spanName} + window.grace = ${formatDuration(horizon)}; ` +
          'a duplicate arriving after its key expired would be counted twice',
      });
    }
  }
  if (spec.source.idle_timeout !== undefined) {
    if (spec.source.partitioned_by_group_key) {
      problems.push({ path: ['source', 'idle_timeout'], message: 'applies to two stages only in this version: set source.partitioned_by_group_key: false, or remove it' });
    } else if (spec.source.idle_timeout <= 0) {
      problems.push({ path: ['source', 'idle_timeout'], message: 'must be greater than 0 (leave it out to turn it off)' });
    }
  }
  if (spec.emit?.early !== undefined && spec.emit.early <= 0) {
    problems.push({ path: ['emit', 'early'], message: 'must be greater than 0 (leave it out to turn early results off)' });
  }
  if (spec.emit?.early !== undefined && (spec.aggregate.group_by.includes('revision') || 'revision' in spec.aggregate.metrics)) {
    problems.push({ path: ['emit', 'early'], message: 'early rows add a column named revision: rename the group_by field or metric called revision' });
  }
  // early rows read open windows by their bounds; a session's rows are kept under merge slots (docs/windows.md)
  if (spec.emit?.early !== undefined && spec.window.type === 'session') {
    problems.push({ path: ['emit', 'early'], message: 'early results are not supported for session windows yet: remove emit.early or use a tumbling or hopping window' });
  }
  if (spec.emit?.early_topic !== undefined && spec.emit.early === undefined) {
    problems.push({ path: ['emit', 'early_topic'], message: 'names the topic of early results: set emit.early too, or remove it' });
  }
  if (spec.transaction_timeout <= spec.batch.max_wait) {
    problems.push({ path: ['transaction_timeout'], message: `must be longer than batch.max_wait (${formatDuration(spec.batch.max_wait)}), or every transaction times out` });
  }
  return problems;
}

const SCALARS = new Set(['string', 'int', 'long', 'float', 'double', 'boolean', 'enum']);

/** Fields named in the topology exist in the reader schema with a usable type; output names do not collide. */
/** A bucket path names a valid bucket (checked here so that `sluice validate` reports it, not only `run`). */
export function sinkRules(spec: TopologySpec): RuleProblem[] {
  const path = spec.sinks.parquet?.path;
  if (!path?.startsWith('s3://')) return [];
  try {
    parseS3Url(path, 'sinks.parquet.path');
    return [];
  } catch (e) {
    return [{ path: ['sinks', 'parquet', 'path'], message: (e as Error).message.replace(/^sinks\.parquet\.path: /, '').replace(/ \(got .*\)$/, '') }];
  }
}

export function fieldRules(spec: TopologySpec, readerSchema: Record<string, unknown>): RuleProblem[] {
  const named = namedTypes(readerSchema);
  const fields = new Map<string, FieldType>();
  for (const f of Array.isArray(readerSchema.fields) ? (readerSchema.fields as Record<string, unknown>[]) : []) {
    fields.set(String(f.name), fieldType(f.type, named));
  }
  const problems: RuleProblem[] = [];
  const check = (path: Path, name: string, usable: (t: FieldType) => boolean, expected: string): void => {
    const t = fields.get(name);
    if (!t) problems.push({ path, message: noField(name, [...fields.keys()]) });
    else if (!usable(t)) problems.push({ path, message: `field "${name}" has type ${describe(t)}; expected ${expected}` });
  };

  check(['source', 'event_time'], spec.source.event_time, isEventTime, 'long (millis) or timestamp-millis, optionally nullable');
  if (spec.dedup) {
    const keys = spec.dedup.key;
    if (typeof keys === 'string') check(['dedup', 'key'], keys, isScalar, 'a scalar (string, int, long, float, double, boolean or enum)');
    else keys.forEach((k, i) => check(['dedup', 'key', i], k, isScalar, 'a scalar (string, int, long, float, double, boolean or enum)'));
  }
  problems.push(...nameRules([...fields.keys()], spec.aggregate));
  spec.aggregate.group_by.forEach((g, i) => {
    // a missing field or a clash is a name rule; what is left is the type
    if (fields.has(g) && !isWindowColumn(g)) check(['aggregate', 'group_by', i], g, isScalar, 'a scalar (string, int, long, float, double, boolean or enum)');
  });
  return problems;
}

/**
 * Names the result rows and the state table need: group_by fields exist, once, and leave the window
 * columns alone; metric names clash with nothing; no field takes the "__" prefix of sluice's own
 * state columns, nor the name of a metadata column or a window bound that expressions use. The one copy of these rules: validation (fieldRules) and the runtime
 * (TaskTable.create) both apply it.
 */
export function nameRules(fields: readonly string[], aggregate: AggregateSpec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const f of fields) {
    if (f.startsWith('__')) problems.push({ path: ['source', 'value', 'schema'], message: `field "${f}" starts with "__", which sluice reserves for its own columns; rename the field` });
    const reserved = reservedName(f);
    if (reserved) problems.push({ path: ['source', 'value', 'schema'], message: `field "${f}" has the name expressions use for ${describeReserved(reserved)} (SQL names ignore case); rename the field` });
  }
  const known = new Set(fields);
  const seen = new Set<string>();
  aggregate.group_by.forEach((g, i) => {
    const path = ['aggregate', 'group_by', i];
    if (seen.has(g)) problems.push({ path, message: `"${g}" is listed twice` });
    seen.add(g);
    if (isWindowColumn(g)) problems.push({ path, message: `"${g}" is a column sluice adds to every result; rename the field` });
    else if (!known.has(g)) problems.push({ path, message: noField(g, fields) });
  });
  for (const name of Object.keys(aggregate.metrics)) {
    const clash = isWindowColumn(name) ? 'a column sluice adds to every result' : seen.has(name) ? 'a group_by field' : undefined;
    if (clash) problems.push({ path: ['aggregate', 'metrics', name], message: `metric name "${name}" collides with ${clash}; results would have two columns of that name`, at: 'key' });
  }
  return problems;
}

/** Names every result row carries, to check an output schema file against. */
export function outputNames(spec: TopologySpec): string[] {
  return [...spec.aggregate.group_by, ...WINDOW_COLUMNS, ...Object.keys(spec.aggregate.metrics)];
}

const describeReserved = (name: string): string => (isWindowColumn(name) ? `the window bound ${name}` : `the record metadata ${name}`);
const isWindowColumn = (name: string): boolean => (WINDOW_COLUMNS as readonly string[]).includes(name);
const noField = (name: string, fields: readonly string[]): string => `no field "${name}" in the reader schema (fields: ${fields.join(', ')})`;
const isEventTime = (t: FieldType): boolean =>
  (t.avro === 'long' && (t.logicalType === undefined || t.logicalType === 'timestamp-millis' || t.logicalType === 'local-timestamp-millis')) ||
  (t.avro === 'int' && t.logicalType === undefined);
const isScalar = (t: FieldType): boolean => SCALARS.has(t.avro);
const describe = (t: FieldType): string => `${t.logicalType ? `${t.avro} (${t.logicalType})` : t.avro}${t.nullable ? ', nullable' : ''}`;
