/**
 * The Kafka Streams baseline's jar (bench/kafka-streams): built with `mvn -q package` on first use
 * and again whenever a source is newer than the jar, so the bench never runs stale Java.
 * Without java or mvn on the PATH the baseline is unavailable and the bench says so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const STREAMS_DIR = resolve('bench/kafka-streams');
export const STREAMS_JAR = join(STREAMS_DIR, 'target/kstreams-baseline.jar');

/** Why the baseline cannot run here, or undefined when java and mvn are both present. */
export function streamsUnavailable(): string | undefined {
  const missing = ['java', 'mvn'].filter((cmd) => spawnSync(cmd, ['-version'], { stdio: 'ignore' }).error !== undefined);
  return missing.length > 0 ? `${missing.join(' and ')} not found on the PATH` : undefined;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'target') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The jar, built first when missing or older than a source (a minute on a fresh ~/.m2). */
export function buildStreams(say: (s: string) => void): string {
  if (existsSync(STREAMS_JAR) && statSync(STREAMS_JAR).mtimeMs >= newestSource(STREAMS_DIR)) return STREAMS_JAR;
  say('bench: building the Kafka Streams baseline (mvn -q package in bench/kafka-streams, cached after)…');
  execFileSync('mvn', ['-q', 'package'], { cwd: STREAMS_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
  return STREAMS_JAR;
}
