/** `sluice validate <files…>`: one line per valid file on stdout, one line per issue on stderr; exit 1 on any issue. */
import { isSluiceError } from '../errors.js';
import { formatDuration } from '../topology/duration.js';
import { formatIssue, loadTopology, TopologyError, type Topology } from '../topology/loader.js';

export async function validateCommand(files: string[]): Promise<number> {
  let failed = false;
  for (const file of files) {
    try {
      const topology = await loadTopology(file);
      process.stdout.write(`${file}: ok (${summary(topology)})\n`);
    } catch (err) {
      failed = true;
      if (err instanceof TopologyError) {
        for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
      } else if (isSluiceError(err, 'TOPOLOGY_NOT_FOUND')) {
        process.stderr.write(`${formatIssue({ file, line: 1, col: 1, path: '', message: err.message.slice(file.length + 2) })}\n`);
      } else {
        throw err;
      }
    }
  }
  return failed ? 1 : 0;
}

/** `page-views: page_views → topic page_views_10s, parquet ../data/page_views_10s; tumbling 10s + 2s grace` */
function summary({ spec }: Topology): string {
  const sinks = [spec.sinks.topic && `topic ${spec.sinks.topic.name}`, spec.sinks.parquet && `parquet ${spec.sinks.parquet.path}`].filter(Boolean);
  // which path runs is a consequence of a default: say it (docs/keyed-windows.md)
  const stages = spec.source.partitioned_by_group_key ? 'one stage' : `two stages via ${spec.name}-repartition`;
  return `${spec.name}: ${spec.source.topic} → ${sinks.join(', ')}; ${describeWindow(spec.window)}; ${stages}`;
}

function describeWindow(w: Topology['spec']['window']): string {
  const grace = w.grace ? ` + ${formatDuration(w.grace)} grace` : '';
  if (w.type === 'session') return `session gap ${formatDuration(w.gap)}${grace}`;
  if (w.type === 'hopping') return `hopping ${formatDuration(w.size)} every ${formatDuration(w.advance)}${grace}`;
  return `tumbling ${formatDuration(w.size)}${grace}`;
}
