/** Topology files written to a temporary folder next to a copy of the demo reader schema. */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export const ROOT = new URL('../../../', import.meta.url).pathname;

/** A valid topology; line numbers are referred to by the tests, keep them stable. */
export const BASE = `name: t
source:
  topic: page_views
  value:
    schema: page_view.avsc
  event_time: ts
dedup:
  key: event_id
  ttl: 1h
window:
  type: tumbling
  size: 10s
  grace: 2s
aggregate:
  group_by: [page]
  metrics:
    views: count(*)
    p95: quantile_cont(latency_ms, 0.95)
sinks:
  topic: { name: out }
`;

/** A temp folder holding page_view.avsc, removed after the test file. */
export function fixtureDir(): { dir: string; write: (name: string, text: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-topology-'));
  copyFileSync(join(ROOT, 'schemas/page_view.avsc'), join(dir, 'page_view.avsc'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write: (name, text) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
  };
}

/** BASE with one line replaced (1-based), or several lines when `text` holds newlines; '' deletes it. */
export function withLine(line: number, text: string, base = BASE): string {
  const lines = base.split('\n');
  if (lines[line - 1] === undefined) throw new Error(`BASE has no line ${line}`);
  lines.splice(line - 1, 1, ...(text === '' ? [] : [text]));
  return lines.join('\n');
}
