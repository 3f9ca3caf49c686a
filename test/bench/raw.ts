/**
 * Runs raw-consumer.ts in its own process (so its CPU and heap are its own, as sluice's are) and
 * returns its measurement.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface RawResult { mode: 'raw' | 'avro'; events: number; seconds: number; cpuSeconds: number }

const SCRIPT = fileURLToPath(new URL('./raw-consumer.ts', import.meta.url));

export function runRawConsumer(opts: { brokers: string[]; topic: string; group: string; events: number; mode: 'raw' | 'avro'; schemaFile: string; timeoutMs: number }): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, opts.brokers.join(','), opts.topic, opts.group, String(opts.events), opts.mode, opts.schemaFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1);
      if (code === 0 && line) resolve(JSON.parse(line) as RawResult);
      else reject(new Error(`raw consumer (${opts.mode}) ${signal ? `killed by ${signal} (timeout?)` : `exited with ${code}`}: ${err.slice(-2000)}`));
    });
  });
}
