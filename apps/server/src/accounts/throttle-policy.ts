// How long to make someone wait after failed logins: growing delays per account and per source address.

/** Failures allowed before any delay; after that the wait doubles each time, up to the cap. */
export const THROTTLE = { freeFailures: 3, baseDelayMs: 2_000, maxDelayMs: 15 * 60_000, forgetAfterMs: 24 * 3_600_000 } as const;

/** The earliest time the next attempt is allowed after `failures` consecutive failures (0 = now). */
export function lockedUntil(failures: number, nowMs: number): number {
  if (failures < THROTTLE.freeFailures) return 0;
  const exponent = Math.min(failures - THROTTLE.freeFailures, 20);
  return nowMs + Math.min(THROTTLE.baseDelayMs * 2 ** exponent, THROTTLE.maxDelayMs);
}

export function throttleKeys(email: string, ip: string): { account: string; address: string } {
  return { account: `account:${email.toLowerCase()}`, address: `address:${ip}` };
}
