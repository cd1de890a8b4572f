// Node-only reference helpers for the known-answer tests (known-answer-node, known-answer-members-node) and the
// independent HPKE re-derivation in members/hpke.test.ts, written out from the specs with node:crypto.
//
// Deliberately no import from the package (not even test-support), only node:* modules: these tests exist to
// re-derive the package's outputs independently, so nothing here may share code with what they check.
// Not a library module: the isomorphic guard (isomorphic.test.ts) skips this file.
import { createCipheriv, createHmac } from 'node:crypto';

export const h = (s: string): Buffer => Buffer.from(s, 'hex');
export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
/** I2OSP(n, 2). */
export const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };

/** RFC 5869 §2.3 Expand, written out. */
export function hkdfExpand(hash: 'sha256' | 'sha512', prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    t = createHmac(hash, prk).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
    blocks.push(t);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** C2SP chunked-encryption with AES-256-GCM, from the spec text: header, then 16 KiB chunks, nonce = base XOR counter. */
export function cobblestone256(inputKey: Buffer, context: Buffer, salt: Buffer, plaintext: Buffer): {
  keys: { aeadKey: string; baseNonce: string; commitment: string }; ciphertext: Buffer;
} {
  const info = Buffer.concat([Buffer.from('c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\0'), salt, context]);
  const okm = hkdfExpand('sha512', inputKey, info, 76);
  const key = okm.subarray(0, 32);
  const baseNonce = okm.subarray(32, 44);
  const commitment = okm.subarray(44);
  const out: Buffer[] = [salt, commitment];
  const count = Math.floor(plaintext.length / 16384) + 1;
  for (let i = 0; i < count; i++) {
    const nonce = Buffer.from(baseNonce);
    const counter = Buffer.alloc(12);
    counter.writeUIntBE(i, 6, 6);
    for (let j = 0; j < 12; j++) nonce[j]! ^= counter[j]!;
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    out.push(cipher.update(plaintext.subarray(i * 16384, (i + 1) * 16384)), cipher.final(), cipher.getAuthTag());
  }
  return { keys: { aeadKey: key.toString('hex'), baseNonce: baseNonce.toString('hex'), commitment: commitment.toString('hex') }, ciphertext: Buffer.concat(out) };
}

/** ctx(label, ids…) = label ‖ 0x00 ‖ ids. */
export const ctx = (label: string, ...ids: Buffer[]): Buffer => Buffer.concat([Buffer.from(label), Buffer.from([0]), ...ids]);

/** RFC 8785 for simple values (ASCII keys, strings, safe integers, null, arrays, objects). */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// ---- HPKE (RFC 9180) base mode with HKDF-SHA256 (kdf_id 1), written out -----------------------------------------
const empty = new Uint8Array(0);
const kemSuiteId = (kemId: number): Buffer => Buffer.concat([Buffer.from('KEM'), u16(kemId)]);
const hpkeSuiteId = (kemId: number, aeadId: number): Buffer => Buffer.concat([Buffer.from('HPKE'), u16(kemId), u16(0x0001), u16(aeadId)]);

/** §4: LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm). */
export const labeledExtract = (suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Buffer =>
  createHmac('sha256', salt).update(Buffer.concat([Buffer.from('HPKE-v1'), suiteId, Buffer.from(label), ikm])).digest();
/** §4: LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L). */
export const labeledExpand = (suiteId: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number): Buffer =>
  hkdfExpand('sha256', prk, Buffer.concat([u16(length), Buffer.from('HPKE-v1'), suiteId, Buffer.from(label), info]), length);

/** §4.1 DHKEM(kem_id, HKDF-SHA256): shared_secret = ExtractAndExpand(dh, enc ‖ pkRm). */
export function kemSharedSecret(kemId: number, dh: Uint8Array, enc: Uint8Array, pkRm: Uint8Array): Buffer {
  const suiteId = kemSuiteId(kemId);
  const eaePrk = labeledExtract(suiteId, empty, 'eae_prk', dh);
  return labeledExpand(suiteId, eaePrk, 'shared_secret', Buffer.concat([enc, pkRm]), 32);
}

/** Nk of the AEADs of §7.3: AES-128-GCM, AES-256-GCM, ChaCha20Poly1305. */
const AEAD_KEY_SIZE: Record<number, number> = { 1: 16, 2: 32, 3: 32 };

/** §5.1 KeySchedule for suite (kem_id, HKDF-SHA256, aead_id) in mode_base (0x00), default psk and psk_id (empty). */
export function keySchedule(kemId: number, aeadId: number, sharedSecret: Uint8Array, info: Uint8Array): { key: Buffer; baseNonce: Buffer } {
  const nk = AEAD_KEY_SIZE[aeadId];
  if (nk === undefined) throw new Error(`unknown aead_id ${aeadId}`);
  const suiteId = hpkeSuiteId(kemId, aeadId);
  const pskIdHash = labeledExtract(suiteId, empty, 'psk_id_hash', empty);
  const infoHash = labeledExtract(suiteId, empty, 'info_hash', info);
  const keyScheduleContext = Buffer.concat([Buffer.from([0x00]), pskIdHash, infoHash]);
  const secret = labeledExtract(suiteId, sharedSecret, 'secret', empty);
  return {
    key: labeledExpand(suiteId, secret, 'key', keyScheduleContext, nk),
    baseNonce: labeledExpand(suiteId, secret, 'base_nonce', keyScheduleContext, 12),
  };
}
