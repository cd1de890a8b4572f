// Recovery codes (§11.5): 20 random bytes shown once as 32 Crockford base32 characters, in groups of four.
import { CryptoError } from '../errors.js';
import { type Bytes, randomBytes } from '../encoding/encoding.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const RECOVERY_CODE_BYTES = 20;

export function newRecoveryCode(): string {
  return encodeRecoveryCode(randomBytes(RECOVERY_CODE_BYTES));
}

export function encodeRecoveryCode(bytes: Uint8Array): string {
  if (bytes.length !== RECOVERY_CODE_BYTES) throw new CryptoError('invalid_length', `a recovery code is ${RECOVERY_CODE_BYTES} bytes`);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out.match(/.{4}/g)!.join('-');
}

/** Forgiving for people (case, spaces, hyphens, O→0, I/L→1), strict otherwise: exactly 32 symbols. */
export function decodeRecoveryCode(text: string): Bytes {
  const symbols = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (symbols.length !== 32) throw new CryptoError('invalid_encoding', 'a recovery code has 32 characters');
  const out = new Uint8Array(RECOVERY_CODE_BYTES);
  let bits = 0;
  let value = 0;
  let n = 0;
  for (const ch of symbols) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new CryptoError('invalid_encoding', 'a recovery code uses only Crockford base32 characters');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out[n++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
      value &= (1 << bits) - 1;
    }
  }
  return out;
}
