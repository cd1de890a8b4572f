// Safety numbers (§11.7): 60 digits both members compute alike from their two certified fingerprints.
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, utf8 } from '../encoding/encoding.js';
import { sha256 } from '../primitives/digest.js';
import { FINGERPRINT_SIZE } from './member-key.js';

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function groups(h: Bytes): string[] {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) {
    let v = 0;
    for (let j = 0; j < 5; j++) v = v * 256 + h[5 * i + j]!; // 40 bits fit exactly in a double
    out.push(String(v % 100_000).padStart(5, '0'));
  }
  return out;
}

/** Twelve groups of five digits; the order of the two fingerprints does not matter. */
export async function safetyNumber(fingerprintA: Uint8Array, fingerprintB: Uint8Array): Promise<string[]> {
  if (fingerprintA.length !== FINGERPRINT_SIZE || fingerprintB.length !== FINGERPRINT_SIZE) {
    throw new CryptoError('invalid_length', `a fingerprint is ${FINGERPRINT_SIZE} bytes`);
  }
  const [lo, hi] = compare(fingerprintA, fingerprintB) <= 0 ? [fingerprintA, fingerprintB] : [fingerprintB, fingerprintA];
  const h = await sha256(concatBytes(utf8('valise/v1/safety-number'), Uint8Array.of(0), lo, hi));
  return [...groups(h), ...groups(await sha256(h))];
}
