// The 8-digit codes mailed to recipients: drawn uniformly, stored only as an HMAC bound to their opening.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { LIMITS } from '@valise/protocol';

/** Uniform over 00000000–99999999: randomInt rejects biased draws, unlike `random % 1e8`. */
export function newCode(): string {
  return String(randomInt(0, 10 ** LIMITS.codeDigits)).padStart(LIMITS.codeDigits, '0');
}

/**
 * HMAC-SHA-256(sessionKey, openingId ‖ code). Binding the opening id means a code's hash is useless for any other
 * opening, and a database dump alone does not let anyone test the 10^8 codes offline.
 */
export function codeHash(key: Uint8Array, openingId: string, code: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(`valise/v1/opening-code\0${openingId}\0${code}`, 'utf8').digest());
}

/** Constant-time comparison of two hashes. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
