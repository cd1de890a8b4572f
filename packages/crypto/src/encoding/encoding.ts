// Byte helpers shared by the format: strict base64url (RFC 4648 §5, no padding), UTF-8, CSPRNG, constant-time compare.
import { CryptoError } from '../errors.js';

/** Bytes backed by a plain ArrayBuffer: accepted everywhere WebCrypto wants a BufferSource. */
export type Bytes = Uint8Array<ArrayBuffer>;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as base64url without padding (RFC 4648 §5; the only binary-to-text form of Valise v1). */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

/**
 * Decodes unpadded base64url strictly: rejects padding, characters outside the URL-safe alphabet,
 * impossible lengths (4k+1) and non-zero unused trailing bits, so every byte string has exactly one
 * accepted text form (RFC 4648 §3.5 "canonical encoding"). With `expectedLength`, the decoded length
 * must match too.
 */
export function fromBase64Url(text: string, expectedLength?: number): Bytes {
  if (text.length % 4 === 1) throw new CryptoError('invalid_encoding', 'base64url text has an impossible length');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) throw new CryptoError('invalid_encoding', 'base64url text contains a character outside the alphabet (padding is not allowed)');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  // Leftover bits (2 or 4) must be zero, otherwise two texts would decode to the same bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) throw new CryptoError('invalid_encoding', 'base64url text is not canonical (non-zero trailing bits)');
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new CryptoError('invalid_length', `base64url value must decode to ${expectedLength} bytes, got ${out.length}`);
  }
  return out;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 encoding of a string (labels, canonical JSON). */
export function utf8(text: string): Bytes {
  return encoder.encode(text) as Bytes;
}

/** Strict UTF-8 decoding: malformed sequences throw instead of becoming U+FFFD; a BOM is kept, not skipped. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new CryptoError('invalid_encoding', 'bytes are not well-formed UTF-8');
  }
}

/** Concatenates byte strings into a new buffer. */
export function concatBytes(...parts: readonly Uint8Array[]): Bytes {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** `n` bytes from the platform CSPRNG (getRandomValues is limited to 65,536 bytes per call). */
export function randomBytes(n: number): Bytes {
  if (!Number.isSafeInteger(n) || n < 0) throw new CryptoError('invalid_argument', 'randomBytes needs a non-negative integer length');
  const out = new Uint8Array(n);
  for (let offset = 0; offset < n; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + 65536)));
  }
  return out;
}

/**
 * Compares two byte strings in time that depends only on their lengths (lengths are public in this
 * format). Used for the Cobblestone commitment and header checks.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Returns the same bytes as a view over a plain ArrayBuffer, copying only when the input lives in a
 * SharedArrayBuffer (WebCrypto refuses shared memory, and another thread could change it mid-call).
 */
export function ownedBytes(bytes: Uint8Array): Bytes {
  if (typeof SharedArrayBuffer !== 'undefined' && bytes.buffer instanceof SharedArrayBuffer) return new Uint8Array(bytes);
  return bytes as Bytes;
}
