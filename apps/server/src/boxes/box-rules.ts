// The rules of a drop box a depositor meets, as pure functions: is the box taking deposits, which addresses it
// accepts, what a typed name may hold; and the API's view of a box.
import type { BoxSummary } from '@valise/protocol';
import { AppError } from '../http/errors.js';
import type { BoxRow } from './boxes.repository.js';

export type BoxUnavailableCode = 'box_closed' | 'box_expired' | 'box_full';

/**
 * Why the box takes no deposit now, or null. Closed wins over expired (the owner's act is the truer answer); a box
 * whose keys were purged is expired. `needsRoom`: a new deposit (or the steps to one) needs one left; an upload
 * already counted does not.
 */
export function boxUnavailability(box: Pick<BoxRow, 'state' | 'expires_at' | 'purged_at' | 'deposits_used' | 'max_deposits'>, now: number, options: { readonly needsRoom: boolean }): BoxUnavailableCode | null {
  if (box.state === 'closed') return 'box_closed';
  if (box.expires_at <= now || box.purged_at !== null) return 'box_expired';
  if (options.needsRoom && box.deposits_used >= box.max_deposits) return 'box_full';
  return null;
}

/** The box if it takes deposits; 404 for an unknown box, the 410 that says why otherwise. */
export function requireOpenBox(boxId: string, box: BoxRow | undefined, now: number, options: { readonly needsRoom: boolean }): BoxRow {
  if (!box) throw new AppError('not_found');
  const code = boxUnavailability(box, now, options);
  if (code !== null) throw new AppError(code, { reason: `box ${boxId}: ${code}` });
  return box;
}

/**
 * An address is accepted when the box lists no domain, or when its domain is one listed or a subdomain of one:
 * "lab.example" accepts ana@lab.example and ana@eu.lab.example, not ana@otherlab.example nor ana@lab.example.org.
 */
export function domainAllowed(email: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return allowed.some((d) => domain === d || domain.endsWith(`.${d}`));
}

// C0 and C1 controls, DEL, and the bidirectional embeddings, overrides and isolates that could reorder a mail line.
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** True for text that is not one plain line: control characters, or bidi controls that could reorder what is shown. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE_IN_NAME.test(text);
}

/** The name a depositor typed: shown to the owners as theirs; one line, trimmed, 1 to 200 characters. */
export function depositorName(typed: string): string {
  const name = typed.trim();
  if (name.length < 1 || name.length > 200 || hasUnsafeCharacters(name)) {
    throw new AppError('validation_failed', { detail: 'Give your name as one line of 1 to 200 characters, without control characters.' });
  }
  return name;
}

export function allowedDomainsOf(box: Pick<BoxRow, 'allowed_domains'>): string[] {
  return JSON.parse(box.allowed_domains) as string[];
}

export function boxSummary(box: BoxRow, publicUrl: string, ownerTeam: BoxSummary['ownerTeam'] = null): BoxSummary {
  return {
    boxId: box.id,
    name: box.name,
    identity: { sig: box.sig, publicKey: Buffer.from(box.sig_public_key).toString('base64url') },
    linkBase: `${publicUrl}/d/${box.id}`,
    state: box.state,
    createdAt: Number(box.created_at),
    expiresAt: Number(box.expires_at),
    maxDeposits: box.max_deposits,
    depositsUsed: box.deposits_used,
    maxDepositBytes: Number(box.max_deposit_bytes),
    allowedDomains: allowedDomainsOf(box),
    dataClass: box.data_class,
    ownerTeam,
  };
}

/** Decodes base64url, refusing non-canonical text (trailing bits set), so one value has one encoding. */
export function strictBase64Url(text: string, field: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new AppError('validation_failed', { detail: `${field} is not canonical base64url.` });
  return bytes;
}

/** A 22-character id that decodes to 16 bytes and encodes back to itself (ids are bound into HPKE infos). */
export function isCanonicalId(text: string): boolean {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length === 16 && bytes.toString('base64url') === text;
}
