/**
 * `${VAR}` and `${VAR:-default}` in string values, as in shells and Compose: the default applies
 * when VAR is unset or empty, `$${` writes a literal `${`. Done on the YAML tree before
 * validation, so positions stay those of the file and an unquoted `${N:-5000}` is still a number.
 */
import { isMap, isScalar, isSeq, parse, Scalar, type Document, type Node } from 'yaml';
import type { Path } from './positions.js';

export interface InterpolationProblem {
  path: Path;
  node: Node;
  message: string;
  got: string;
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME_DEFAULT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/** Replaces references in one string; returns the text and the problems (unset or malformed). */
export function interpolate(text: string, env: NodeJS.ProcessEnv): { value: string; problems: string[] } {
  const problems: string[] = [];
  const value = text.replace(REFERENCE, (match: string, inner: string | undefined) => {
    if (match === '$${') return '${';
    if (inner === undefined) {
      problems.push('unterminated "${": write ${NAME} or ${NAME:-default} (or $${ for a literal)');
      return match;
    }
    const m = NAME_DEFAULT.exec(inner);
    if (!m) {
      problems.push(`"${match}" is not a variable reference: write \${NAME} or \${NAME:-default}`);
      return match;
    }
    const set = env[m[1]!];
    if (set !== undefined && set !== '') return set;
    if (m[2] !== undefined) return m[2];
    problems.push(`environment variable ${m[1]} is not set (write \${${m[1]}:-default} to give a default)`);
    return '';
  });
  return { value, problems };
}

/** Interpolates every string scalar value (not keys) of the document in place. */
export function interpolateDocument(doc: Document, env: NodeJS.ProcessEnv): InterpolationProblem[] {
  const problems: InterpolationProblem[] = [];
  const walk = (node: unknown, path: PropertyKey[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const original = node.value;
      const { value, problems: found } = interpolate(original, env);
      for (const message of found) problems.push({ path, node, message, got: original });
      node.value = node.type === Scalar.PLAIN ? plainScalar(value) : value;
    }
  };
  walk(doc.contents, []);
  return problems;
}

/** An unquoted value reads as YAML would read it had it been written literally: `5000` is a number. */
function plainScalar(text: string): unknown {
  try {
    const v: unknown = parse(text);
    return typeof v === 'number' || typeof v === 'boolean' ? v : text;
  } catch {
    return text;
  }
}
