// TOTP second factor (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps), with replay protection by time step.
import { Secret, TOTP } from 'otpauth';

const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** Accept the previous and next step too, for clock drift (RFC 6238 §5.2 recommends at most one step). */
const WINDOW = 1;

export interface TotpEnrollment {
  /** base32, as authenticator apps expect it. */
  secretBase32: string;
  otpauthUri: string;
}

/** A fresh 160-bit secret (RFC 4226 §4 recommends 160 bits) and the otpauth:// URI an app can scan. */
export function newTotpSecret(accountEmail: string, issuer = 'Valise'): TotpEnrollment {
  const secret = new Secret({ size: 20 });
  const totp = new TOTP({ issuer, label: accountEmail, secret, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS });
  return { secretBase32: secret.base32, otpauthUri: totp.toString() };
}

/**
 * Checks a code and returns the time step it matched, or null. The caller stores the step and refuses any step
 * at or before the last one used, so an observed code cannot be replayed within its window.
 */
export function verifyTotp(secretBase32: string, code: string, nowMs: number, lastUsedStep: number | null): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    timestamp: nowMs,
    window: WINDOW,
  });
  if (delta === null) return null;
  const step = TOTP.counter({ period: PERIOD_SECONDS, timestamp: nowMs }) + delta;
  if (lastUsedStep !== null && step <= lastUsedStep) return null;
  return step;
}

/** The code for a given time: used by tests and by the CLI's own test harness, never by the server's checks. */
export function totpCodeAt(secretBase32: string, nowMs: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS, timestamp: nowMs });
}
