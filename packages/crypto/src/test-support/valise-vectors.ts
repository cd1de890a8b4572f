// Test-only: the shape of test-vectors/valise-v1.json (see scripts/make-vectors.mjs) and its loader.
import { readFileSync } from 'node:fs';
import { VALISE_VECTORS_URL } from './vectors.js';

export interface MessageKeysJson { aeadKey: string; baseNonce: string; commitment: string }
export interface FileInputJson {
  fileId: string; fileIdText: string; fk: string; salt: string; name: string; type: string; size: number;
  plaintext: { rule: string; mul: number; add: number };
}
export interface ValiseVectors {
  inputs: {
    ck: string; ss: string; ls: string; lsText: string; transferId: string; transferIdText: string; slotId: string; slotIdText: string;
    linkNonce: string; manifestSalt: string; slotSalt: string; createdAt: string; message: string; files: FileInputJson[];
  };
  transferKey: { tk: string };
  linkSlot: { w: string; context: string; messageKeys: MessageKeysJson; slot: string };
  linkAuth: { a: string; proof: string };
  files: Array<{
    context: string; messageKeys: MessageKeysJson; ciphertextSize: number;
    parts: Array<{ start: number; end: number; sha256: string }>; ciphertextSha256: string; ciphertext?: string;
  }>;
  manifest: { canonicalJson: string; context: string; messageKeys: MessageKeysJson; ciphertext: string };
}

export function loadValiseVectors(): ValiseVectors {
  return JSON.parse(readFileSync(VALISE_VECTORS_URL, 'utf8')) as ValiseVectors;
}

/** byte[i] = (i * mul + add) mod 256, the plaintext rule of the vectors. */
export function patternBytes(size: number, mul: number, add: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * mul + add) & 0xff;
  return out;
}
