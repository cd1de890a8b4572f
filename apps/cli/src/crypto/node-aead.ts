// ChunkAead on node:crypto AES-GCM: the CLI's fast path for Cobblestone, byte-identical to the WebCrypto default.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { type AeadKey, type ChunkAead, AEAD_TAG_LENGTH, CryptoError, checkAeadKeyLength, checkNonce, checkSealedLength } from '@valise/crypto';

type GcmAlgorithm = 'aes-128-gcm' | 'aes-256-gcm';
interface NodeAeadKey {
  readonly algorithm: GcmAlgorithm;
  readonly key: Buffer;
}

/**
 * Node's AES-GCM costs no per-call thread hop, unlike WebCrypto (~60–120 µs per call), so 16 KiB chunks
 * run several times faster (crypto-notes §1). The key is kept as a private Buffer copy rather than a KeyObject:
 * createCipheriv with a KeyObject costs about twice as much per 16 KiB chunk, and the raw key was in this
 * process's memory anyway (Cobblestone derives it in JS and wipes its own copy after importKey). AAD is never set (C2SP).
 */
export const nodeAead: ChunkAead = {
  async importKey(raw) {
    checkAeadKeyLength(raw);
    const key: NodeAeadKey = { algorithm: raw.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key: Buffer.from(raw) };
    return key as unknown as AeadKey;
  },
  async seal(aeadKey, nonce, plaintext) {
    const out = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH);
    sealInto(aeadKey, nonce, plaintext, out);
    return out;
  },
  async sealInto(aeadKey, nonce, plaintext, out) {
    sealInto(aeadKey, nonce, plaintext, out);
  },
  async open(aeadKey, nonce, ciphertext) {
    checkNonce(nonce);
    checkSealedLength(ciphertext);
    const out = new Uint8Array(ciphertext.length - AEAD_TAG_LENGTH);
    openInto(aeadKey, nonce, ciphertext, out);
    return out;
  },
  async openInto(aeadKey, nonce, ciphertext, out) {
    openInto(aeadKey, nonce, ciphertext, out);
  },
};

function sealInto(aeadKey: AeadKey, nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void {
  checkNonce(nonce);
  if (out.length !== plaintext.length + AEAD_TAG_LENGTH) throw new CryptoError('invalid_length', 'the output must be the plaintext length plus the tag');
  const { algorithm, key } = aeadKey as unknown as NodeAeadKey;
  const cipher = createCipheriv(algorithm, key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  let offset = copy(out, cipher.update(plaintext), 0);
  offset = copy(out, cipher.final(), offset);
  copy(out, cipher.getAuthTag(), offset);
}

/** Writes the plaintext into `out`, wiping it unless the tag verified. */
function openInto(aeadKey: AeadKey, nonce: Uint8Array, ciphertext: Uint8Array, out: Uint8Array): void {
  checkNonce(nonce);
  checkSealedLength(ciphertext);
  const bodyLength = ciphertext.length - AEAD_TAG_LENGTH;
  if (out.length !== bodyLength) throw new CryptoError('invalid_length', 'the output must be the ciphertext length minus the tag');
  const { algorithm, key } = aeadKey as unknown as NodeAeadKey;
  const decipher = createDecipheriv(algorithm, key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  decipher.setAuthTag(ciphertext.subarray(bodyLength));
  // update() yields plaintext before the tag is checked: keep it private until final() verified the tag.
  try {
    const offset = copy(out, decipher.update(ciphertext.subarray(0, bodyLength)), 0);
    copy(out, decipher.final(), offset);
  } catch {
    out.fill(0);
    throw new CryptoError('authentication_failed', 'a chunk failed authentication');
  }
}

function copy(target: Uint8Array, source: Uint8Array, offset: number): number {
  target.set(source, offset);
  return offset + source.length;
}
