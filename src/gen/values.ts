/**
 * Plausible values by Avro type and role. The event time, the dedup key and the group-by fields
 * are what the pipeline reads, so they follow the test's needs (unique ids, Zipf keys); the other
 * fields only have to look like real data and exercise the metrics.
 */
import { SluiceError } from '../errors.js';
import type { BaseType, FieldPlan } from './fields.js';
import type { Rng } from './prng.js';

const LATENCY_NAME = /latency|duration|elapsed|_ms$|millis/i;
const DAY_MS = 86_400_000;

/** The dedup key value of event n: `evt-<n>` for the first string field, `<field>-<n>` for others. */
export function uniqueValue(plan: FieldPlan, n: number, first: boolean): unknown {
  switch (plan.base.kind) {
    case 'string':
      return first ? `evt-${n}` : `${plan.name}-${n}`;
    case 'int':
    case 'long':
      return n;
    case 'bytes':
      return Buffer.from(`evt-${n}`);
    default:
      throw new SluiceError('BAD_ARGUMENT', `sluice produce cannot make unique dedup keys in field ${plan.name} of type ${plan.base.kind}`, { field: plan.name });
  }
}

/** The value of a group-by field for key rank k: `/page/<k>` for a string field named page. */
export function groupValue(plan: FieldPlan, k: number): unknown {
  const b = plan.base;
  switch (b.kind) {
    case 'string':
      return `/${plan.name}/${k}`;
    case 'int':
    case 'long':
      return k;
    case 'float':
    case 'double':
      return k;
    case 'boolean':
      return k % 2 === 0;
    case 'enum':
      return b.symbols[k % b.symbols.length];
    case 'bytes':
      return Buffer.from(`/${plan.name}/${k}`);
    case 'fixed':
      return fixedOf(b.size, k);
  }
}

/** A random value for any other field; nullable fields are null one time in five. */
export function randomValue(plan: FieldPlan, rng: Rng, now: number): unknown {
  if (plan.nullable && rng.chance(0.2)) return null;
  const b: BaseType = plan.base;
  switch (b.kind) {
    case 'boolean':
      return rng.chance(0.5);
    case 'int':
      if (b.logical === 'date') return Math.floor(now / DAY_MS);
      if (b.logical === 'time-millis') return now % DAY_MS;
      return LATENCY_NAME.test(plan.name) ? latency(rng) : rng.int(0, 1000);
    case 'long':
      if (b.logical?.includes('timestamp')) return now;
      return LATENCY_NAME.test(plan.name) ? latency(rng) : rng.int(0, 1000);
    case 'float':
      return Math.fround(latency(rng) + rng.int(0, 99) / 100);
    case 'double':
      return latency(rng) + rng.int(0, 99) / 100;
    case 'string':
      return realisticString(plan.name, rng) ?? `${plan.name.replace(/_id$/, '')}-${rng.int(0, 999)}`; // a thousand distinct values, so count(DISTINCT …) has something to count
    case 'bytes':
      return rng.bytes(rng.int(0, 16));
    case 'enum':
      return rng.pick(b.symbols);
    case 'fixed':
      return rng.bytes(b.size);
  }
}

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'NL', 'ES', 'CA'];

/** Fields whose names say what they hold get values of a realistic size (web events are ~200 B of Avro). */
function realisticString(name: string, rng: Rng): string | undefined {
  if (/user_agent/.test(name)) return rng.pick(AGENTS);
  if (/^url$|_url$/.test(name)) return `https://shop.example.com/catalog/item-${rng.int(0, 99_999)}?utm_source=newsletter&utm_campaign=c${rng.int(0, 99)}`;
  if (/country/.test(name)) return rng.pick(COUNTRIES);
  return undefined;
}

/** Log-normal around 50 ms with a long tail, as request latencies are. */
function latency(rng: Rng): number {
  return Math.min(60_000, Math.max(1, Math.round(Math.exp(Math.log(50) + 0.8 * rng.normal()))));
}

function fixedOf(size: number, k: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = size - 1, v = k; i >= 0 && v > 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}
