// Shared field schemas: identifiers, encoded secrets, e-mail addresses, durations.
import { Type, type Static } from '@sinclair/typebox';

/** 16 random bytes, base64url without padding (128-bit ids for transfers, files, slots, users). */
export const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{22}$', description: '128-bit random id, base64url' });
export type Id = Static<typeof Id>;

/** 32 bytes, base64url without padding (nonces, proofs, auth keys, shares). */
export const Bytes32 = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: '32 bytes, base64url' });

/** Opaque bearer token (session, API token, opening, grant): 32 random bytes, base64url. */
export const Token = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' });

export const Base64Url = (maxLength: number) =>
  Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength, description: 'base64url without padding' });

export const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^\\s@<>()\\[\\],;:"]+@[^\\s@<>()\\[\\],;:"]+\\.[^\\s@<>()\\[\\],;:"]+$',
  description: 'e-mail address (compared case-insensitively)',
});

/** A one-time code sent by e-mail: exactly 8 digits. */
export const OneTimeCode = Type.String({ pattern: '^[0-9]{8}$' });

/** An RFC 6238 TOTP code: exactly 6 digits. */
export const TotpCode = Type.String({ pattern: '^[0-9]{6}$' });

/** Milliseconds since the Unix epoch. */
export const Timestamp = Type.Integer({ minimum: 0, description: 'milliseconds since the Unix epoch' });

export const Empty = Type.Object({}, { additionalProperties: false });
