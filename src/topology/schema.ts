/**
 * The topology file format: one zod schema is its TypeScript type, its validation and (via
 * z.toJSONSchema, io: 'input') the JSON Schema editors use. Cross-field and schema-aware rules
 * live in ./rules.ts; this file holds only the shape.
 */
import { z } from 'zod';
import { ConnectionSchema } from '../connection/settings.js';
import { DURATION_PATTERN, parseDuration } from './duration.js';

/** A key must leave room for its row in one Kafka message of the broker's default 1 MB limit. */
export const MAX_KEY_BYTES_LIMIT = 262_144;

const DURATION_HINT = 'expected a duration such as 500ms, 10s, 5m, 1h or 1d';
export const Duration = z
  .union([z.string().regex(DURATION_PATTERN, DURATION_HINT), z.number().int().nonnegative()], { error: DURATION_HINT })
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : parseDuration(v);
    // `1.5ms` matches the pattern but is not a whole number of milliseconds
    if (ms === undefined) ctx.issues.push({ code: 'custom', message: 'a duration must be a whole number of milliseconds', input: v });
    return ms ?? 0;
  })
  .describe('A duration: milliseconds, or a number with a unit ms|s|m|h|d (10s, 5m, 1h)');

const Name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" only, starting with a letter or digit');
const TopicName = z
  .string()
  .max(249)
  .regex(/^[A-Za-z0-9._-]+$/, 'a Kafka topic name uses letters, digits, ".", "_" and "-" only');
const FieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an Avro field name: letters, digits and _');

const Source = z.strictObject({
  topic: TopicName.describe('Input topic'),
  group: z.string().min(1).optional().describe('Consumer group id (default: sluice-<name>)'),
  start: z.enum(['earliest', 'latest']).default('earliest').describe('Where a new consumer group starts'),
  value: z.strictObject({
    subject: z.string().min(1).optional().describe('Registry subject of the upstream value schema (informational; writer schemas come by id)'),
    schema: z.string().min(1).describe('Reader schema file (.avsc), relative to the topology file'),
  }),
  event_time: FieldName.describe('Field holding event time: long millis or timestamp-millis'),
  session_timeout: Duration.default(30_000).describe('Consumer group session timeout: how long a silent replica keeps its partitions'),
  max_future_skew: z
    .union([z.literal('off'), Duration])
    .default(3_600_000)
    .describe("How far event time may run ahead of the record's Kafka timestamp before the record is dead-lettered (EVENT_TIME_TOO_FAR_AHEAD); `off`: no bound"),
  partitioned_by_group_key: z
    .boolean()
    .default(false)
    .describe(
      'false (default): records are re-keyed by the group key through the <name>-repartition topic, so each (key, window) gives one row whatever the input partitioning (two stages, docs/keyed-windows.md). ' +
        'true: upstream keys records by the aggregate.group_by fields, so windows are computed per source partition (one stage, saving the repartition round trip)',
    ),
  idle_timeout: Duration.optional().describe(
    'Two stages only; off by default. A source partition without records for this long (wall clock) raises its stream time to the wall clock minus this timeout, recorded in its commit, so it stops holding windows back and a quiet input closes its last windows; its later records for closed windows are late (docs/keyed-windows.md)',
  ),
});

const Dedup = z.strictObject({
  key: z.union([FieldName, z.array(FieldName).min(1)]).describe('Field (or fields) whose value identifies a duplicate'),
  ttl: Duration.describe('How long a key is remembered; must exceed window size + grace'),
});

const Tumbling = z.strictObject({
  type: z.literal('tumbling'),
  size: Duration,
  grace: Duration.default(0),
});
const Hopping = z.strictObject({
  type: z.literal('hopping'),
  size: Duration,
  advance: Duration.describe('Hop between window starts; at most size'),
  grace: Duration.default(0),
});
const Session = z.strictObject({
  type: z.literal('session'),
  gap: Duration.describe('Inactivity that closes a session'),
  grace: Duration.default(0),
});
export const Window = z.discriminatedUnion('type', [Tumbling, Hopping, Session]);

const Aggregate = z.strictObject({
  group_by: z.array(FieldName).default([]).describe('Fields that key each window result'),
  metrics: z
    .record(FieldName, z.string().min(1))
    .refine((m) => Object.keys(m).length > 0, 'at least one metric is needed')
    .describe('name: DuckDB aggregate expression over the value fields, the record metadata (ROWTIME, ROWPARTITION, ROWOFFSET, ROWKEY) and window_start/window_end'),
  having: z
    .string()
    .min(1)
    .optional()
    .describe('DuckDB boolean expression over the result columns (group_by fields, window_start, window_end in epoch ms, metric names); rows it does not accept are sent to no sink'),
  max_key_bytes: z
    .number()
    .int()
    .positive()
    .max(MAX_KEY_BYTES_LIMIT)
    .default(4096)
    .describe('Longest group key (the output record key, UTF-8 bytes) a record may have; longer ones are dead-lettered (GROUP_KEY_TOO_LONG)'),
});

const TopicSettings = z.strictObject({
  partitions: z.number().int().positive().optional().describe('Partitions of created topics (default: the source topic\'s)'),
  replication_factor: z.number().int().positive().optional().describe('Replication of created topics (default: the broker\'s)'),
  config: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}).describe('Topic configs for created topics'),
});

const Sinks = z
  .strictObject({
    topic: z
      .strictObject({
        name: TopicName,
        schema: z.string().min(1).optional().describe('Output value schema file (.avsc); default: derived from the result columns'),
      })
      .optional(),
    parquet: z.strictObject({ path: z.string().min(1).describe('Root of the published Parquet files: a folder (relative to this file) or s3://bucket/prefix') }).optional(),
  })
  .refine((s) => s.topic !== undefined || s.parquet !== undefined, 'at least one sink (topic or parquet) is needed');

const Emit = z.strictObject({
  early: Duration.optional().describe(
    'Off by default. Early results: the current values of open windows, at most once per this interval of stream time per window, to the early topic with a revision number; the final rows are unchanged (docs/semantics.md)',
  ),
  early_topic: TopicName.optional().describe('Topic of the early rows (default: <sinks.topic.name>_early, else <name>_early); Avro, the output schema plus `revision`'),
});

const Batch = z.strictObject({
  max_records: z.number().int().positive().default(5000),
  max_wait: Duration.default(500),
});

export const TopologySchema = z.strictObject({
  name: Name.describe('Unique per pipeline: prefixes the group, transactional ids and Redis keys'),
  source: Source,
  dedup: Dedup.optional(),
  filter: z
    .string()
    .min(1)
    .optional()
    .describe(
      'DuckDB boolean expression over the value fields and the record metadata (ROWTIME, ROWPARTITION, ROWOFFSET, ROWKEY); a record it does not accept is dropped before dedup and windows: it does not count and does not advance stream time',
    ),
  window: Window,
  aggregate: Aggregate,
  sinks: Sinks,
  emit: Emit.optional(),
  dead_letter: TopicName.optional().describe('Dead-letter topic (default: <source.topic>_dlq)'),
  late: TopicName.optional().describe('Late-records topic (default: <source.topic>_late)'),
  batch: Batch.default({ max_records: 5000, max_wait: 500 }),
  topics: TopicSettings.default({ config: {} }),
  transaction_timeout: Duration.default(60_000).describe('Kafka transaction.timeout.ms for the task producers'),
  connection: ConnectionSchema.optional(),
});

/** The topology as written (durations as text). */
export type TopologyInput = z.input<typeof TopologySchema>;
/** The parsed topology: durations in ms, defaults filled; see loader for the resolved form. */
export type TopologySpec = z.output<typeof TopologySchema>;
export type WindowSpec = TopologySpec['window'];

/** JSON Schema (draft 2020-12) of the file format, for editors (yaml-language-server). */
export function topologyJsonSchema(): Record<string, unknown> {
  return {
    ...(allowInterpolation(z.toJSONSchema(TopologySchema, { io: 'input', unrepresentable: 'any' })) as Record<string, unknown>),
    $id: 'https://github.com/sluice/sluice/topology.schema.json',
    title: 'sluice topology',
  };
}

/** Lets editors accept `${ENV}` references where the file format does: patterned strings and numbers. */
function allowInterpolation(node: unknown, inAnyOf = false): unknown {
  if (Array.isArray(node)) return node.map((n) => allowInterpolation(n, inAnyOf));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'propertyNames' ? v : allowInterpolation(v, k === 'anyOf');
  if (typeof out.pattern === 'string') out.pattern = `${out.pattern}|\\$\\{`;
  if ((out.type === 'integer' || out.type === 'number') && !inAnyOf) {
    const { description, default: dflt, ...numeric } = out;
    return { ...(description ? { description } : {}), ...(dflt !== undefined ? { default: dflt } : {}), anyOf: [numeric, { type: 'string', pattern: '\\$\\{' }] };
  }
  return out;
}
