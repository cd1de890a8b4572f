// Human-written durations ("15m", "7d") and sizes ("100GiB", "5 MB") as operators type them in configuration.

const DURATION_UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90s", "15m", "12h", "7d" → milliseconds; null when the text is not one of these forms. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,12})(s|m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS];
  return Number.isSafeInteger(ms) ? ms : null;
}

/** The shortest exact form: 86400000 → "1d", 90000 → "90s". */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS_MS[unit];
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

// Binary units (KiB…) are exact powers of two; decimal units (KB…) are powers of ten, as disk vendors write them.
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/** "1048576", "64KiB", "100 GiB", "5MB" → bytes; null when not understood or not a safe integer. */
export function parseSize(text: string): number | null {
  const match = /^(\d{1,16})\s*([a-z]{1,3})?$/i.exec(text.trim());
  if (!match) return null;
  const unit = SIZE_UNITS[(match[2] ?? 'b').toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Number(match[1]) * unit;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** The shortest exact binary form: 2^30 → "1GiB", 1000 → "1000B". */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}
