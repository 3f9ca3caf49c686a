/**
 * Which value columns the aggregate reads, so the state table stores only those (the page-view
 * demo needs 3 of its 6 fields). Works on DuckDB's own parse tree (`json_serialize_sql`) rather than
 * guessing from the text; anything unclear keeps every column.
 */
import type { Column } from './columns.js';

/** The columns a query references, given `json_serialize_sql(<query>)`; all of them on a parse error or a `*`/COLUMNS(*) expression. */
export function referencedColumns(serialized: string, columns: readonly Column[]): Column[] {
  let tree: unknown;
  try {
    tree = JSON.parse(serialized);
  } catch {
    return [...columns];
  }
  if (!isObject(tree) || tree.error !== false) return [...columns];
  const names = new Set<string>();
  let star = false;
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) for (const x of n) walk(x);
    else if (isObject(n)) {
      if (n.class === 'STAR') star = true;
      // the last part is the column; earlier parts qualify it (table.column); lambda parameters add harmless extras
      if (n.class === 'COLUMN_REF' && Array.isArray(n.column_names)) names.add(String(n.column_names[n.column_names.length - 1]));
      for (const v of Object.values(n)) walk(v);
    }
  };
  walk(tree);
  if (star) return [...columns];
  // DuckDB identifiers are case-insensitive
  const lower = new Set([...names].map((s) => s.toLowerCase()));
  return columns.filter((c) => lower.has(c.name.toLowerCase()));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
