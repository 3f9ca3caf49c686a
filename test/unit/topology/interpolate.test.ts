import { describe, expect, it } from 'vitest';
import { interpolate } from '../../../src/topology/interpolate.js';

describe('interpolate', () => {
  const env = { A: 'x', EMPTY: '' };
  it.each([
    ['${A}', 'x'],
    ['pre-${A}-post', 'pre-x-post'],
    ['${B:-dflt}', 'dflt'],
    ['${A:-dflt}', 'x'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${B:-}', ''],
    ['${B:-a:b}', 'a:b'],
    ['$${A}', '${A}'],
    ['no refs $A', 'no refs $A'],
  ])('%s → %s', (text, value) => {
    expect(interpolate(text, env)).toEqual({ value, problems: [] });
  });

  it('names an unset variable without a default', () => {
    expect(interpolate('${NOPE}', env).problems).toEqual(['environment variable NOPE is not set (write ${NOPE:-default} to give a default)']);
  });

  it('rejects malformed references', () => {
    expect(interpolate('${1X}', env).problems).toEqual(['"${1X}" is not a variable reference: write ${NAME} or ${NAME:-default}']);
    expect(interpolate('${A', env).problems).toEqual(['unterminated "${": write ${NAME} or ${NAME:-default} (or $${ for a literal)']);
  });
});
