/** What a valid topology loads into: defaults filled, durations in ms, env interpolated, frozen. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../../src/topology/loader.js';
import { BASE, fixtureDir, ROOT, withLine } from './fixtures.js';

const { dir, write } = fixtureDir();

describe('loadTopology', () => {
  it('fills defaults: group, dead-letter and late topics, start, batch, grace', async () => {
    const t = await loadTopology(write('d.yaml', withLine(13, '')), { env: {} });
    expect(t.spec.source.group).toBe('sluice-t');
    expect(t.spec.dead_letter).toBe('page_views_dlq');
    expect(t.spec.late).toBe('page_views_late');
    expect(t.spec.source.start).toBe('earliest');
    expect(t.spec.batch).toEqual({ max_records: 5000, max_wait: 500 });
    expect(t.spec.window).toEqual({ type: 'tumbling', size: 10_000, grace: 0 });
    expect(t.spec.transaction_timeout).toBe(60_000);
    expect(t.spec.source.max_future_skew).toBe(3_600_000);
    expect(t.spec.aggregate.max_key_bytes).toBe(4096);
    expect(t.dir).toBe(dir);
    expect(t.valueSchema).toMatchObject({ type: 'record', name: 'PageView' });
    expect(t.outputSchema).toBeUndefined();
  });

  it('keeps what the file sets over the defaults', async () => {
    const text = `${BASE}dead_letter: bad\nlate: later\n`.replace('  topic: page_views', '  topic: page_views\n  group: g1');
    const t = await loadTopology(write('s.yaml', text), { env: {} });
    expect([t.spec.source.group, t.spec.dead_letter, t.spec.late]).toEqual(['g1', 'bad', 'later']);
  });

  it('parses durations in ms, s, m, h, d and bare milliseconds', async () => {
    const text = withLine(11, '  type: hopping\n  advance: 250ms', withLine(12, '  size: 1.5h', withLine(9, '  ttl: 1d', withLine(13, '  grace: 90s'))));
    const t = await loadTopology(write('u.yaml', `${text}batch: { max_wait: 750 }\ntransaction_timeout: 2m\n`), { env: {} });
    expect(t.spec.window).toEqual({ type: 'hopping', size: 5_400_000, advance: 250, grace: 90_000 });
    expect(t.spec.dedup?.ttl).toBe(86_400_000);
    expect(t.spec.batch.max_wait).toBe(750);
    expect(t.spec.transaction_timeout).toBe(120_000);
  });

  it('takes source.max_future_skew as a duration or off, and aggregate.max_key_bytes up to 256 KiB', async () => {
    const skew = (v: string) => loadTopology(write('k.yaml', withLine(6, `  event_time: ts\n  max_future_skew: ${v}`)), { env: {} });
    expect((await skew('5m')).spec.source.max_future_skew).toBe(300_000);
    expect((await skew('0')).spec.source.max_future_skew).toBe(0);
    expect((await skew('off')).spec.source.max_future_skew).toBe('off');
    await expect(skew('soon')).rejects.toThrow(/source\.max_future_skew/);
    const keys = (v: string) => loadTopology(write('k2.yaml', withLine(15, `  group_by: [page]\n  max_key_bytes: ${v}`)), { env: {} });
    expect((await keys('1024')).spec.aggregate.max_key_bytes).toBe(1024);
    await expect(keys('300000')).rejects.toThrow(/aggregate\.max_key_bytes/);
    await expect(keys('0')).rejects.toThrow(/aggregate\.max_key_bytes/);
  });

  it('interpolates ${ENV} and ${ENV:-default}; an unquoted number stays a number', async () => {
    const text = withLine(3, '  topic: ${TOPIC:-fallback}', `${BASE}batch: { max_wait: "\${WAIT}" }\n`).replace('  ttl: 1h', '  ttl: ${TTL:-2h}');
    const a = await loadTopology(write('e1.yaml', text), { env: { WAIT: '1s' } });
    expect([a.spec.source.topic, a.spec.dedup?.ttl, a.spec.batch.max_wait]).toEqual(['fallback', 7_200_000, 1000]);
    const b = await loadTopology(write('e2.yaml', text), { env: { WAIT: '1s', TOPIC: 'clicks', TTL: '3h' } });
    expect([b.spec.source.topic, b.spec.dedup?.ttl, b.spec.dead_letter]).toEqual(['clicks', 10_800_000, 'clicks_dlq']);
    const n = await loadTopology(write('e3.yaml', `${BASE}batch:\n  max_records: \${MAX:-100}\n`), { env: {} });
    expect(n.spec.batch.max_records).toBe(100);
  });

  it('resolves schema paths from the topology folder and loads an output schema', async () => {
    const out = { type: 'record', name: 'Out', fields: ['page', 'window_start', 'window_end', 'views', 'p95'].map((name) => ({ name, type: 'string' })) };
    write('out.avsc', JSON.stringify(out));
    const t = await loadTopology(write('o.yaml', withLine(20, '  topic: { name: out, schema: out.avsc }')), { env: {} });
    expect(t.outputSchema).toEqual(out);
    write('short.avsc', JSON.stringify({ ...out, fields: out.fields.slice(0, 3) }));
    await expect(loadTopology(write('o2.yaml', withLine(20, '  topic: { name: out, schema: short.avsc }')), { env: {} })).rejects.toThrow(
      /o2\.yaml:20:31: sinks\.topic\.schema: the output schema lacks fields every result carries: views, p95 \(got "short\.avsc"\)/,
    );
  });

  it('rejects an .avsc that is not a record schema', async () => {
    write('enum.avsc', JSON.stringify({ type: 'enum', name: 'E', symbols: ['A'] }));
    write('broken.avsc', '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "nope"}]}');
    await expect(loadTopology(write('a1.yaml', withLine(5, '    schema: enum.avsc')), { env: {} })).rejects.toThrow(/a1\.yaml:5:13: source\.value\.schema: schema file .*enum\.avsc must hold an Avro record schema \(got type "enum"\)/);
    await expect(loadTopology(write('a2.yaml', withLine(5, '    schema: broken.avsc')), { env: {} })).rejects.toThrow(/a2\.yaml:5:13: source\.value\.schema: schema file .*broken\.avsc is not a valid Avro schema: .*nope/);
  });

  it('skips DuckDB when checkSql is false', async () => {
    const t = await loadTopology(write('n.yaml', withLine(18, '    p95: not sql at all(')), { env: {}, checkSql: false });
    expect(t.spec.aggregate.metrics.p95).toBe('not sql at all(');
  });

  it('returns a deep-frozen topology', async () => {
    const t = await loadTopology(write('f.yaml', BASE), { env: {} });
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.spec.aggregate.group_by)).toBe(true);
    expect(Object.isFrozen((t.valueSchema.fields as object[])[0])).toBe(true);
    expect(() => {
      (t.spec.window as { size: number }).size = 1;
    }).toThrow(TypeError);
  });

  it.each(readdirSync(join(ROOT, 'topologies')).filter((f) => f.endsWith('.yaml')))('topologies/%s loads', async (name) => {
    const t = await loadTopology(join(ROOT, 'topologies', name), { env: {} });
    expect(t.spec.name).toBe(name.replace(/\.yaml$/, ''));
  });
});
