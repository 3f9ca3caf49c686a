/** Durations in topology files: a number of milliseconds, or `<n><unit>` with unit ms|s|m|h|d. */
const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Parses `10s`, `1.5h`, `250ms`; returns undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2] as keyof typeof UNITS];
  return Number.isFinite(ms) && Number.isInteger(ms) ? ms : undefined;
}

/** Formats milliseconds with the largest unit that divides them exactly (`90000` → `90s`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms !== 0 && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
