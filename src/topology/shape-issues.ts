/**
 * Turns zod's issues into short, user-facing ones: "missing required key", "unknown key; did you
 * mean …", "expected a duration …", each with the path and whether to point at the key or value.
 */
import type { z } from 'zod';
import { valueAt, type Path } from './positions.js';

export interface ShapeIssue {
  path: Path;
  at: 'value' | 'key';
  message: string;
  got?: unknown;
}

type ZodIssue = z.core.$ZodIssue;

export function shapeIssues(issues: readonly ZodIssue[], schema: z.ZodType, data: unknown): ShapeIssue[] {
  return issues.flatMap((issue) => translate(issue, schema, data));
}

function translate(issue: ZodIssue, schema: z.ZodType, data: unknown): ShapeIssue[] {
  const path = issue.path as PropertyKey[];
  const present = hasPath(data, path);
  const got = scalarOrList(issue.input);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(schema, path, data);
      return issue.keys.map((key) => ({ path: [...path, key], at: 'key' as const, message: unknownKey(key, known) }));
    }
    case 'invalid_type':
      if (!present) return [{ path, at: 'value', message: 'missing required key' }];
      return [{ path, at: 'value', message: `expected ${noun(issue.expected)}`, got }];
    case 'invalid_union': {
      if ('note' in issue && issue.note === 'No matching discriminator') {
        const options = (issue as { options?: unknown[] }).options ?? [];
        const expected = `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`;
        if (!present) return [{ path, at: 'value', message: `missing required key: ${expected}` }];
        return [{ path, at: 'value', message: `expected ${expected}`, got: scalarOrList(valueAt(data, path)) }];
      }
      if (!present) return [{ path, at: 'value', message: 'missing required key' }];
      const branches = issue.errors.flat();
      const specific = branches.find((b) => b.code !== 'invalid_type');
      if (specific) return [{ path, at: 'value', message: specific.message, got }];
      const expected = [...new Set(branches.map((b) => (b.code === 'invalid_type' ? noun(b.expected) : '')))].filter(Boolean);
      const message = issue.message && issue.message !== 'Invalid input' ? issue.message : `expected ${expected.join(' or ')}`;
      return [{ path, at: 'value', message, got }];
    }
    case 'invalid_value':
      return [{ path, at: 'value', message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`, got }];
    case 'invalid_key':
      return [{ path, at: 'key', message: issue.issues[0]?.message ?? issue.message, got: path[path.length - 1] }];
    case 'too_small':
      return [{ path, at: 'value', message: tooSmall(issue), got }];
    default:
      return [{ path, at: 'value', message: issue.message, got }];
  }
}

function tooSmall(issue: z.core.$ZodIssueTooSmall): string {
  const min = Number(issue.minimum);
  if ((issue.origin === 'string' || issue.origin === 'array') && min === 1) return 'must not be empty';
  if (issue.origin === 'number') return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${min}`;
  return issue.message;
}

const NOUNS: Record<string, string> = { object: 'a mapping', array: 'a list', record: 'a mapping', number: 'a number', string: 'a string', boolean: 'true or false' };
const noun = (expected: string): string => NOUNS[expected] ?? expected;

function unknownKey(key: string, known: string[]): string {
  const close = known
    .map((k) => ({ k, d: distance(k, key) }))
    .filter(({ d, k }) => d <= Math.max(1, Math.floor(k.length / 3)))
    .sort((a, b) => a.d - b.d)[0];
  if (close) return `unknown key; did you mean "${close.k}"?`;
  return known.length > 0 ? `unknown key; expected one of ${known.join(', ')}` : 'unknown key';
}

/** Keys the schema allows at `path`: walks objects, optional/default/transform wrappers and the window's discriminated union. */
function knownKeys(schema: z.ZodType, path: Path, data: unknown): string[] {
  let s: unknown = schema;
  for (let i = 0; i <= path.length; i++) {
    s = unwrap(s, valueAt(data, path.slice(0, i)));
    if (i === path.length) break;
    const shape = (s as { def?: { shape?: Record<string, unknown> } }).def?.shape;
    s = shape?.[String(path[i])];
    if (!s) return [];
  }
  return Object.keys((s as { def?: { shape?: Record<string, unknown> } }).def?.shape ?? {});
}

function unwrap(s: unknown, value: unknown): unknown {
  for (;;) {
    const def = (s as { def?: Record<string, unknown> } | undefined)?.def;
    if (!def) return s;
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else if (def.type === 'union' && typeof def.discriminator === 'string') {
      const tag = (value as Record<string, unknown> | undefined)?.[def.discriminator];
      const options = def.options as { def: { shape: Record<string, { def: { values?: unknown[] } }> } }[];
      const match = options.find((o) => o.def.shape[def.discriminator as string]?.def.values?.includes(tag));
      if (!match) return s;
      s = match;
    } else return s;
  }
}

function hasPath(data: unknown, path: Path): boolean {
  const parent = valueAt(data, path.slice(0, -1));
  const last = path[path.length - 1];
  return last === undefined || (typeof parent === 'object' && parent !== null && Object.hasOwn(parent, last));
}

/** Values worth quoting back to the user: scalars and short lists, not whole mappings. */
function scalarOrList(v: unknown): unknown {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : v;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
