/** `sluice …` as a child process (bin/sluice.js), its stdout and stderr kept together, JSON logs. */
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './read.js';

export interface SluiceRun {
  child: ChildProcess;
  out(): string;
  exit: Promise<number | null>;
  /** The metrics port, once the replica logged it. */
  port(timeoutMs?: number): Promise<number>;
  kill(signal?: NodeJS.Signals): void;
}

/** `env` is added to this process's environment (a value of '' unsets nothing: leave the key out instead). */
export function sluice(args: string[], env: Record<string, string>, opts: { baseEnv?: NodeJS.ProcessEnv } = {}): SluiceRun {
  const child = spawn(process.execPath, ['bin/sluice.js', ...args], { env: { ...(opts.baseEnv ?? withoutConnection(process.env)), ...env, LOG_FORMAT: 'json' } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    out: () => out,
    exit,
    async port(timeoutMs = 60_000) {
      await waitFor(() => /"port":(\d+)/.test(out) || child.exitCode !== null, timeoutMs, () => `the metrics port in:\n${out}`);
      const m = /"port":(\d+)/.exec(out);
      if (!m) throw new Error(`sluice exited before serving metrics:\n${out}`);
      return Number(m[1]);
    },
    kill: (signal = 'SIGKILL') => void (child.exitCode === null && child.kill(signal)),
  };
}

/** The test process's environment without the shared services' addresses and any connection setting. */
function withoutConnection(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^(KAFKA_BROKERS|SCHEMA_REGISTRY_URL|REDIS_URL|SLUICE_(KAFKA|REGISTRY|REDIS)_.*|SLUICE_CONNECTION_FILE)$/.test(k)));
}
