/**
 * Maps a field path to the line and column of its YAML node, so every issue points at the text
 * the user wrote: the value of a key, the key itself for an unknown key, or the nearest existing
 * parent mapping for a missing key.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type Path = readonly PropertyKey[];

export interface Position {
  line: number;
  col: number;
}

export interface Located {
  node: Node | null;
  /** How far along the path the lookup got; less than the path's length when a key is missing. */
  depth: number;
}

/** The node at `path` (or at its key, when `at` is 'key'), else the deepest existing ancestor. */
export function locate(doc: Document, path: Path, at: 'value' | 'key' = 'value'): Located {
  let node: Node | null = (doc.contents as Node | null) ?? null;
  for (let depth = 0; depth < path.length; depth++) {
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? node;
    const seg = path[depth];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return { node, depth };
      const key = pair.key as Node;
      if (at === 'key' && depth === path.length - 1) return { node: key, depth: depth + 1 };
      // `key:` with nothing after it has no value node; the key is the best place to point at
      const value = (pair.value as Node | null) ?? null;
      if (value === null || (isScalar(value) && value.range?.[0] === value.range?.[1] && value.value === null)) {
        return { node: key, depth: depth + 1 };
      }
      node = value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg] as Node;
    } else {
      return { node, depth };
    }
  }
  return { node, depth: path.length };
}

/** 1-based line and column of a node's first character (1:1 when the file is empty). */
export function positionOf(node: Node | null, lines: LineCounter): Position {
  const offset = node?.range?.[0];
  return offset === undefined ? { line: 1, col: 1 } : lines.linePos(offset);
}

/** The value at `path` in plain data, or undefined. */
export function valueAt(data: unknown, path: Path): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** `aggregate.group_by[1]`: keys joined by dots, list indexes in brackets. */
export const dotted = (path: Path): string =>
  path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${String(seg)}` : String(seg)), '');
