/**
 * Every process the chaos run starts is tracked by pid, so that however the run ends (a failed
 * assertion, an exception, Ctrl-C) none is left behind: `killTracked()` SIGCONTs (a SIGSTOPped
 * replica cannot die otherwise) and SIGKILLs each, synchronously, also from an 'exit' handler.
 */
const tracked = new Map<number, string>();
let hooked = false;

export function track(pid: number, what: string): void {
  tracked.set(pid, what);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => killTracked());
  }
}

export function untrack(pid: number): void {
  tracked.delete(pid);
}

export function trackedPids(): Array<{ pid: number; what: string }> {
  return [...tracked].map(([pid, what]) => ({ pid, what }));
}

/** Kills every tracked process by its pid; returns how many were still alive. */
export function killTracked(): number {
  let alive = 0;
  for (const pid of tracked.keys()) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
      alive++;
    } catch {
      /* already gone */
    }
  }
  tracked.clear();
  return alive;
}
