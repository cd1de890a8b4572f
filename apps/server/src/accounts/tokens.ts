// Bearer tokens (sessions, API tokens, enrollment links, openings, grants): random, and stored only as HMACs.
import { createHmac, randomBytes } from 'node:crypto';

/** 256 random bits, base64url: what the client holds. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** 128 random bits, base64url (22 chars): ids for rows. */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * What the database holds: HMAC-SHA-256 under a keystore key, so a database dump alone cannot be replayed as
 * tokens, and lookups stay a simple equality on an indexed column.
 */
export function hashToken(key: Uint8Array, token: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(token, 'utf8').digest());
}
