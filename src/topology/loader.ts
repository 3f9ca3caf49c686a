/**
 * Loads a topology file: YAML (with positions) → `${ENV}` interpolation → shape (zod) → rules →
 * reader schema → fields → metric, filter and having SQL in DuckDB; then deep-frozen. Every
 * problem found is reported at once, each at the line and column of the text it concerns.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Node } from 'yaml';
import { SluiceError } from '../errors.js';
import { columnsFromAvro } from '../window/columns.js';
import { readAvroRecordSchema } from './avro-file.js';
import { deepFreeze } from './freeze.js';
import { interpolateDocument } from './interpolate.js';
import { TopologyError, type TopologyIssue } from './issues.js';
import { checkMetrics } from './metrics-sql.js';
import { problemPath } from '../window/metric-check.js';
import { dotted, locate, positionOf, valueAt, type Path } from './positions.js';
import { durationRules, fieldRules, nameRules, outputNames, sinkRules } from './rules.js';
import { TopologySchema, type TopologySpec } from './schema.js';
import { shapeIssues } from './shape-issues.js';

export { formatIssue, TopologyError, type TopologyIssue } from './issues.js';

/** The topology with every default filled in. */
export type ResolvedSpec = TopologySpec & {
  source: TopologySpec['source'] & { group: string };
  dead_letter: string;
  late: string;
};

export interface Topology {
  /** Absolute path of the topology file. */
  readonly file: string;
  /** Absolute folder of the topology file: relative paths in it (schemas, parquet) resolve from here. */
  readonly dir: string;
  readonly spec: ResolvedSpec;
  /** The parsed reader schema (.avsc JSON) of source values. */
  readonly valueSchema: Record<string, unknown>;
  /** The parsed sinks.topic.schema file, when the topology names one. */
  readonly outputSchema?: Record<string, unknown>;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Prepare metric expressions in DuckDB (default true). */
  checkSql?: boolean;
}

export async function loadTopology(file: string, options: LoadOptions = {}): Promise<Topology> {
  const { env = process.env, checkSql = true } = options;
  const text = await readTopologyText(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const issues: TopologyIssue[] = [];
  const fail = (): never => {
    throw new TopologyError(issues);
  };
  const issueAt = (node: Node | null, path: Path, message: string, got?: unknown): void => {
    // connection settings may be secrets: their values are never echoed
    const shown = got === undefined || path[0] === 'connection' ? {} : { got };
    issues.push({ file, ...positionOf(node, lines), path: dotted(path), message, ...shown });
  };

  // 1. YAML syntax: nothing else is meaningful when the file does not parse
  // the first error only: the parser's later errors mostly follow from it
  for (const e of doc.errors.slice(0, 1)) {
    const { line, col } = lines.linePos(e.pos[0]);
    issues.push({ file, line, col, path: '', message: yamlMessage(e.code, e.message) });
  }
  if (issues.length) fail();

  // 2. interpolation and shape, reported together; a failed interpolation hides the shape issue it causes
  const unresolved = interpolateDocument(doc, env);
  for (const p of unresolved) issueAt(p.node, p.path, p.message, p.got);
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    issueAt(null, [], 'the file is empty; expected a topology mapping (name, source, window, aggregate, sinks)');
    fail();
  }
  const parsed = TopologySchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const hidden = new Set(unresolved.map((p) => dotted(p.path)));
    for (const s of shapeIssues(parsed.error.issues, TopologySchema, data)) {
      if (hidden.has(dotted(s.path))) continue;
      issueAt(locate(doc, s.path, s.at).node, s.path, s.message, s.got);
    }
  }
  if (issues.length || !parsed.success) fail();
  const spec = resolveDefaults(parsed.data!);

  // 3. rules between fields, the reader schema and the fields it must hold, the output schema
  const problem = (path: Path, message: string, at: 'value' | 'key' = 'value'): void => {
    const got = at === 'key' ? undefined : scalar(valueAt(data, path));
    issueAt(locate(doc, path, at).node, path, message, got);
  };
  for (const r of [...durationRules(spec), ...sinkRules(spec)]) problem(r.path, r.message, r.at);
  const dir = dirname(resolve(file));
  const reader = await readAvroRecordSchema(resolve(dir, spec.source.value.schema));
  if ('problem' in reader) problem(['source', 'value', 'schema'], reader.problem);
  let output: Record<string, unknown> | undefined;
  if (spec.sinks.topic?.schema !== undefined) {
    const out = await readAvroRecordSchema(resolve(dir, spec.sinks.topic.schema));
    if ('problem' in out) problem(['sinks', 'topic', 'schema'], out.problem);
    else {
      output = out.schema;
      const have = new Set(columnsFromAvro(out.schema).map((c) => c.name));
      const lacking = outputNames(spec).filter((n) => !have.has(n));
      if (lacking.length) problem(['sinks', 'topic', 'schema'], `the output schema lacks fields every result carries: ${lacking.join(', ')}`);
    }
  }
  if ('schema' in reader) {
    const fieldProblems = fieldRules(spec, reader.schema);
    for (const r of fieldProblems) problem(r.path, r.message, r.at);
    // 4. metric SQL as the runtime prepares it, once the names it uses are sound (else every metric would fail alike)
    const columns = columnsFromAvro(reader.schema);
    if (checkSql && nameRules(columns.map((c) => c.name), spec.aggregate).length === 0) {
      for (const m of await checkMetrics(columns, spec.aggregate, spec.filter)) problem(problemPath(m), m.message);
    }
  }
  if (issues.length || !('schema' in reader)) fail();

  return deepFreeze({ file: resolve(file), dir, spec, valueSchema: (reader as { schema: Record<string, unknown> }).schema, ...(output ? { outputSchema: output } : {}) });
}

function resolveDefaults(spec: TopologySpec): ResolvedSpec {
  return {
    ...spec,
    source: { ...spec.source, group: spec.source.group ?? `sluice-${spec.name}` },
    dead_letter: spec.dead_letter ?? `${spec.source.topic}_dlq`,
    late: spec.late ?? `${spec.source.topic}_late`,
  };
}

async function readTopologyText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message;
    throw new SluiceError('TOPOLOGY_NOT_FOUND', `${file}: ${why}`, { file }, { cause: err });
  }
}

/** The parser's message without its own position suffix (we print `file:line:col:` in front). */
function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a topology file holds one YAML document; remove the "---" separator';
  return `invalid YAML: ${message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
}

const scalar = (v: unknown): unknown => (v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : v);
