/**
 * Record metadata that `filter`, metric expressions (and `having`, through a metric) may use,
 * under ksqlDB's pseudo-column names (docs/windows.md, "Record metadata in expressions"). They are
 * columns like the value fields: stored only when an expression names them (prune.ts), set on the
 * decoded value just before it is appended. In two stages they are the *source* record's, carried
 * through the repartition topic (src/repartition/codec.ts). A reader-schema field of the same name
 * (DuckDB identifiers are case-insensitive) is refused by rules.ts nameRules.
 */
import type { Column } from './columns.js';
import { WINDOW_COLUMNS } from './sql.js';

export const METADATA_COLUMNS = [
  /** Event time, epoch ms (the `source.event_time` field's value). */
  { name: 'ROWTIME', duckType: 'BIGINT', nullable: false },
  /** Source partition. */
  { name: 'ROWPARTITION', duckType: 'INTEGER', nullable: false },
  /** Source offset: comparable within one source partition only. */
  { name: 'ROWOFFSET', duckType: 'BIGINT', nullable: false },
  /** The source record's Kafka key as UTF-8 text (invalid bytes become U+FFFD); null without a key. */
  { name: 'ROWKEY', duckType: 'VARCHAR', nullable: true },
] as const satisfies readonly Column[];

export type MetadataName = (typeof METADATA_COLUMNS)[number]['name'];
export const METADATA_NAMES: readonly MetadataName[] = METADATA_COLUMNS.map((c) => c.name);

/** Where a record came from: what the metadata columns hold. */
export interface RecordMetadata {
  eventTime: number;
  partition: number;
  offset: number;
  key: Buffer | null | undefined;
}

/** The metadata names among `columns` (those a table or a filter stores). */
export function metadataIn(columns: readonly { name: string }[]): MetadataName[] {
  return METADATA_NAMES.filter((n) => columns.some((c) => c.name === n));
}

/** Sets the `names` metadata on a decoded value (its own object: the decoder made it for this record). */
export function attachMetadata(value: Record<string, unknown>, meta: RecordMetadata, names: readonly MetadataName[]): void {
  for (const n of names) value[n] = metadataValue(meta, n);
}

function metadataValue(meta: RecordMetadata, name: MetadataName): unknown {
  switch (name) {
    case 'ROWTIME':
      return meta.eventTime;
    case 'ROWPARTITION':
      return meta.partition;
    case 'ROWOFFSET':
      return meta.offset;
    case 'ROWKEY':
      return meta.key === null || meta.key === undefined ? null : meta.key.toString('utf8');
  }
}

/** A reader-schema field whose name an expression could not tell from a metadata column or a window bound. */
export function reservedName(field: string): string | undefined {
  const lower = field.toLowerCase();
  return [...METADATA_NAMES, ...WINDOW_COLUMNS].find((n) => n.toLowerCase() === lower);
}
