/**
 * The reference case files parse, name their source, and say what a pending case waits for;
 * the integration test (test/integration/reference.test.ts) runs them through the pipeline.
 */
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../reference/cases.js';

describe('reference cases', () => {
  const files = loadCases();

  it('cover every area of docs/semantics.md', () => {
    expect(files.map((f) => f.file)).toEqual(expect.arrayContaining(['tumbling.yaml', 'hopping.yaml', 'session.yaml', 'late.yaml', 'epoch.yaml', 'filter-having.yaml', 'by-offset.yaml', 'null-keys.yaml', 'early.yaml']));
  });

  it('have unique names within a file', () => {
    for (const { file, cases } of files) expect(new Set(cases.map((c) => c.name)).size, file).toBe(cases.length);
  });

  it('state a grace where the reference engine relied on its 24 h default', () => {
    for (const { cases } of files) for (const c of cases.filter((c) => c.source.includes('no grace period'))) expect(c.window.grace, c.name).toBe('24h');
  });
});
