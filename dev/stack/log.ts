/** Progress lines with the time since the stack command started, e.g. `[stack  2.3s] kafka: ready`. */
export type StackLog = (line: string) => void;

export function stackLogger(write: (s: string) => void = (s) => process.stderr.write(s)): StackLog {
  const t0 = Date.now();
  return (line) => write(`[stack ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
}

/** Runs `fn` and returns its result with the seconds it took, formatted like `2.1s`. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, string]> {
  const t = Date.now();
  const v = await fn();
  return [v, `${((Date.now() - t) / 1000).toFixed(1)}s`];
}
