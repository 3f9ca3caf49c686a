/** What is wrong in a topology file, where: every issue points at a line and column of the file. */
import { SluiceError } from '../errors.js';

export interface TopologyIssue {
  file: string;
  line: number;
  col: number;
  /** Dotted path of the field (`window.advance`, `aggregate.metrics.views`); empty for the whole file. */
  path: string;
  message: string;
  got?: unknown;
}

/** `file:line:col: path.to.field: message (got <value>)`; `(got …)` only when a value exists. */
export function formatIssue(i: TopologyIssue): string {
  const where = `${i.file}:${i.line}:${i.col}: ${i.path ? `${i.path}: ` : ''}`;
  return `${where}${i.message}${i.got === undefined ? '' : ` (got ${formatValue(i.got)})`}`;
}

function formatValue(v: unknown): string {
  const text = typeof v === 'bigint' ? String(v) : (JSON.stringify(v) ?? String(v));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export const byPosition = (a: TopologyIssue, b: TopologyIssue): number =>
  a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.path.localeCompare(b.path);

export class TopologyError extends SluiceError {
  readonly issues: TopologyIssue[];

  constructor(issues: TopologyIssue[]) {
    const sorted = [...issues].sort(byPosition);
    super('TOPOLOGY_INVALID', sorted.map(formatIssue).join('\n'), { file: sorted[0]?.file, issues: sorted });
    this.name = 'TopologyError';
    this.issues = sorted;
  }
}
