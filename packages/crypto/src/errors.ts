// The single error type of @valise/crypto: a closed list of codes, messages that never carry secrets.

/**
 * Every failure of this package is a `CryptoError` with one of these codes. Callers branch on `code`
 * (and render their own words); `message` is for logs and is written so that it never contains key
 * material, plaintext or other secret data.
 */
export type CryptoErrorCode =
  /** The 32-byte key commitment of a Cobblestone header does not match (wrong key, salt or context). */
  | 'commitment_mismatch'
  /** An AEAD tag did not verify (modified, reordered, swapped or misplaced chunk). */
  | 'authentication_failed'
  /** Input ended too early: missing header bytes, a missing final chunk, or a short part/chunk. */
  | 'truncated'
  /** Input continues past the point where it must end. */
  | 'trailing_data'
  /** A value has a length that the format does not allow. */
  | 'invalid_length'
  /** A key has the wrong size or could not be imported. */
  | 'invalid_key'
  /** A text or binary encoding is not canonical or not well-formed. */
  | 'invalid_encoding'
  /** A decrypted manifest failed strict validation. */
  | 'manifest_invalid'
  /** The chunk counter reached 2^38 (C2SP chunked-encryption: implementations MUST abort). */
  | 'counter_overflow'
  /** An argument is outside its domain (negative index, unknown label, ...). */
  | 'invalid_argument'
  /** A certificate or signature did not verify (unsigned or wrongly signed key, forged manifest signature). */
  | 'signature_invalid'
  /** A key record, key bundle, wrap or key file failed strict validation (§11). */
  | 'record_invalid'
  /** Argon2id parameters outside the accepted range (a server asking for weaker or absurd ones). */
  | 'parameters_refused';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** True when `value` is a CryptoError, optionally with the given code. */
export function isCryptoError(value: unknown, code?: CryptoErrorCode): value is CryptoError {
  return value instanceof CryptoError && (code === undefined || value.code === code);
}
