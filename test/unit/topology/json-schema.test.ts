/** topology.schema.json (for editors) is what `sluice schema` prints, and the example topologies satisfy it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { topologyJsonSchema } from '../../../src/topology/schema.js';
import { ROOT } from './fixtures.js';

describe('topology JSON Schema', () => {
  it('topology.schema.json matches `sluice schema` (regenerate: npx sluice schema > topology.schema.json)', () => {
    const committed: unknown = JSON.parse(readFileSync(join(ROOT, 'topology.schema.json'), 'utf8'));
    expect(committed).toEqual(topologyJsonSchema());
  });

  it.each(readdirSync(join(ROOT, 'topologies')).filter((f) => f.endsWith('.yaml')))('topologies/%s satisfies it, ${ENV} references included', (name) => {
    const ajv = new Ajv2020.default({ strict: false });
    const validate = ajv.compile(topologyJsonSchema());
    const ok = validate(parse(readFileSync(join(ROOT, 'topologies', name), 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects an unknown key, as editors should flag it', () => {
    const validate = new Ajv2020.default({ strict: false }).compile(topologyJsonSchema());
    expect(validate({ name: 'x', colour: 'red' })).toBe(false);
  });
});
