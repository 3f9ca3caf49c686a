/** Generator options from a loaded topology: which field is which, and how late is late for sure. */
import type { TopologySpec } from '../topology/schema.js';
import type { GeneratorOptions } from './generator.js';

export type TopologyRoles = Pick<GeneratorOptions, 'schema' | 'eventTime' | 'dedupKey' | 'groupBy' | 'lateHorizonMs' | 'graceMs'>;

export function rolesFromTopology(spec: TopologySpec, valueSchema: unknown): TopologyRoles {
  const w = spec.window;
  const extent = w.type === 'session' ? w.gap : w.size; // a hopping window containing t ends by t + size too
  const key = spec.dedup?.key;
  return {
    schema: valueSchema,
    eventTime: spec.source.event_time,
    dedupKey: key === undefined ? [] : Array.isArray(key) ? key : [key],
    groupBy: spec.aggregate.group_by,
    lateHorizonMs: extent + w.grace,
    graceMs: w.grace,
  };
}
