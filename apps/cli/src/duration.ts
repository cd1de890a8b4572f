// Durations on the command line: a positive whole number and one unit, `90s`, `15m`, `12h`, `7d`.

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds in a duration like `7d`; throws a RangeError with a message for people. */
export function parseDuration(text: string): number {
  const match = /^([1-9][0-9]{0,8})([smhd])$/u.exec(text.trim());
  if (!match) throw new RangeError(`"${text}" is not a duration: use a number and a unit, like 90s, 15m, 12h or 7d`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

/** `604800` → `7d`, `5400` → `90m`: the largest unit that divides the value. */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (seconds % UNITS[unit]! === 0 && seconds >= UNITS[unit]!) return `${seconds / UNITS[unit]!}${unit}`;
  }
  return `${seconds}s`;
}
