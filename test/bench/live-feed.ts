/**
 * The live feed of the bench's latency part, in its own processes (live-feed-child.ts), so that it
 * keeps its rate at tens of thousands of events/s: in the bench's process it fell behind from
 * ~10k events/s on this box, and its CPU was the bench's, not its own. Each process feeds its share
 * of the partitions; a window could close once every process reported its closing sends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FeedChildOptions, FeedDone } from './live-feed-child.js';
import { MergedClosable } from './live-feed-schedule.js';

const SCRIPT = fileURLToPath(new URL('./live-feed-child.ts', import.meta.url));

/** Feed processes by default: one kept 150k events/s on 0.84 of a core, and at 70k/s two cost 0.53 cores against its 0.45 (`npm run bench:feed`). */
export const DEFAULT_FEED_PROCESSES = 1;

export type LiveFeedOptions = Omit<FeedChildOptions, 'index'>;

export interface LiveFeed {
  /** Window end → when the feeds had sent the events that let it close. */
  closable: Map<number, number>;
  /** Starts sending (event time = the wall clock from now on); returns the start time. */
  go(): number;
  /** Resolves when every process sent its share: their summed CPU, and how far behind the slowest ended. */
  done: Promise<FeedDone>;
  /** Kills the processes (a failed run). */
  kill(): void;
}

/** Starts the processes and resolves once every one is connected and its records pooled. */
export async function startLiveFeed(o: LiveFeedOptions, timeoutMs: number): Promise<LiveFeed> {
  const merged = new MergedClosable(o.processes);
  const children: ChildProcess[] = [];
  const ready: Promise<void>[] = [];
  const done: Promise<FeedDone>[] = [];
  for (let index = 0; index < o.processes; index++) {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify({ ...o, index } satisfies FeedChildOptions)], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    child.stdin!.on('error', () => undefined); // a feed that died before the start: its exit says why
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    let onReady: () => void;
    ready.push(new Promise((r) => (onReady = r)));
    let finished: FeedDone | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { ready?: true; end?: number; at?: number; done?: FeedDone };
      if (m.ready) onReady();
      else if (m.end !== undefined) merged.report(m.end, m.at!);
      else if (m.done) finished = m.done;
    });
    const exited = new Promise<FeedDone>((resolve, reject) => {
      child.on('exit', (code, signal) => {
        if (code === 0 && finished) resolve(finished);
        else reject(new Error(`live feed ${index} ${signal ? `killed by ${signal}` : `exited with ${code}`}: ${err}`));
      });
    });
    exited.catch(() => undefined); // awaited through `done`; this only keeps a killed feed from being "unhandled"
    done.push(exited);
  }
  const kill = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  const failed = Promise.race(done).then(() => new Promise<never>(() => undefined));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`live feed not ready within ${timeoutMs / 1000} s`)), timeoutMs)));
  try {
    await Promise.race([Promise.all(ready), failed, timeout]);
  } catch (e) {
    kill();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return {
    closable: merged.closable,
    go: () => {
      const start = Date.now();
      for (const c of children) c.stdin!.end(`${start}\n`);
      return start;
    },
    done: Promise.all(done).then((all) => ({
      sent: all.reduce((a, d) => a + d.sent, 0),
      seconds: Math.max(...all.map((d) => d.seconds)),
      cpuSeconds: all.reduce((a, d) => a + d.cpuSeconds, 0),
      behindSeconds: Math.max(...all.map((d) => d.behindSeconds)),
    })),
    kill,
  };
}
