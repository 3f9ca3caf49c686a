import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_SETTINGS } from '../../../src/connection/settings.js';

describe('the connection variables', () => {
  it('are all documented in the README (each X there also takes X_FILE)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const undocumented = ENV_SETTINGS.map((s) => s.name).filter((n) => !n.endsWith('_FILE') && !readme.includes(`\`${n}\``));
    expect(undocumented).toEqual([]);
  });
});
