/**
 * CPU time of another process from /proc/<pid>/stat (utime + stime, all its threads), since
 * process.cpuUsage() only sees the calling process. Linux only.
 * https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100; // the Linux default (USER_HZ)
    }
  }
  return ticks;
}

/** utime + stime of a /proc/<pid>/stat line, in clock ticks. The comm field may hold spaces and parentheses. */
export function statTicks(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12
  return Number(rest[11]) + Number(rest[12]);
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  return statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicks();
}

/** Peak resident set size in bytes (VmHWM) from a /proc/<pid>/status text: what a memory request must cover. */
export function peakRssBytes(status: string): number {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** The peak RSS of a running process (NaN when /proc has no such process). */
export function peakRss(pid: number): number {
  try {
    return peakRssBytes(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return NaN;
  }
}

/** The 1-minute load average: the box is shared, so every result says how busy it was. */
export function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}
