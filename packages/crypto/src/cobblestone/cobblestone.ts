// Cobblestone (C2SP chunked-encryption): key derivation with commitment, random-access chunk encryptor/decryptor, one-shot messages.
import { type ChunkAead, webCryptoAead } from '../primitives/aead.js';
import { checkChunkIndex, rawChunkCipher } from './chunk-cipher.js';
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, constantTimeEqual, randomBytes, utf8 } from '../encoding/encoding.js';
import { hkdfExpand } from '../primitives/hkdf-expand.js';
import { forEachBounded } from './concurrency.js';
import { CHUNK_SIZE, COMMITMENT_SIZE, ENCRYPTED_CHUNK_SIZE, HEADER_SIZE, SALT_SIZE, chunkCount, ciphertextSize, plaintextSizeOf } from './layout.js';
import { COBBLESTONE_256, type CobblestoneSuite } from './suite.js';

export interface CobblestoneOptions {
  /** Defaults to Cobblestone-256, the only suite Valise v1 objects use. */
  readonly suite?: CobblestoneSuite;
  /** Per-chunk AES-GCM implementation; defaults to WebCrypto. */
  readonly aead?: ChunkAead;
}

export interface EncryptOptions extends CobblestoneOptions {
  /**
   * Inject the 24-byte salt instead of drawing it from the CSPRNG. Only for test vectors and for
   * re-encrypting a part of an upload: a salt MUST NOT repeat under one input key for different plaintexts.
   */
  readonly salt?: Uint8Array;
}

export interface MessageKeys {
  readonly key: Bytes;
  readonly baseNonce: Bytes;
  readonly commitment: Bytes;
}

const INFO_PREFIX = utf8('c2sp.org/chunked-encryption@v1+');

export function checkInputKey(suite: CobblestoneSuite, inputKey: Uint8Array): void {
  // C2SP: the input key has the AEAD's key size (16 bytes for Cobblestone-128, 32 for Cobblestone-256).
  if (inputKey.length !== suite.keyLength) throw new CryptoError('invalid_key', `a ${suite.name} input key must be ${suite.keyLength} bytes`);
}

/**
 * key ‖ base nonce ‖ commitment = HKDF-Expand-SHA-512(prk = input key,
 *   info = "c2sp.org/chunked-encryption@v1+" ‖ aead ‖ 0x00 ‖ salt ‖ context)   (C2SP "Key derivation").
 */
export async function deriveMessageKeys(suite: CobblestoneSuite, inputKey: Uint8Array, salt: Uint8Array, context: Uint8Array): Promise<MessageKeys> {
  checkInputKey(suite, inputKey);
  if (salt.length !== SALT_SIZE) throw new CryptoError('invalid_length', `a salt must be ${SALT_SIZE} bytes`);
  const info = concatBytes(INFO_PREFIX, utf8(suite.aead), Uint8Array.of(0), salt, context);
  const okm = await hkdfExpand('SHA-512', inputKey, info, suite.keyLength + suite.nonceLength + COMMITMENT_SIZE);
  const nonceEnd = suite.keyLength + suite.nonceLength;
  return { key: okm.slice(0, suite.keyLength), baseNonce: okm.slice(suite.keyLength, nonceEnd), commitment: okm.slice(nonceEnd) };
}

/** Random-access encryption of one message: the header is fixed at creation, chunks may come in any order. */
export interface Encryptor {
  readonly suite: CobblestoneSuite;
  /** salt ‖ commitment, 56 bytes: the first bytes of the ciphertext. */
  readonly header: Bytes;
  /**
   * Encrypts chunk `index`: exactly 16384 bytes unless final, fewer than 16384 if final. Encrypting the
   * same index again must use the same plaintext (then the output is identical); different plaintext at
   * one index reuses a GCM nonce and breaks confidentiality and integrity.
   */
  encryptChunk(index: number, plaintext: Uint8Array, isFinal: boolean): Promise<Bytes>;
  /** Optional: encryptChunk writing its output (plaintext.length + 16 bytes) into `out`. */
  encryptChunkInto?(index: number, plaintext: Uint8Array, isFinal: boolean, out: Uint8Array): Promise<void>;
}

/** Random-access decryption of one message whose commitment has already been verified. */
export interface Decryptor {
  readonly suite: CobblestoneSuite;
  readonly header: Bytes;
  /** Decrypts chunk `index`: exactly 16400 bytes unless final, 16..16399 if final. Returns plaintext only after its tag verified. */
  decryptChunk(index: number, ciphertext: Uint8Array, isFinal: boolean): Promise<Bytes>;
  /** Optional: decryptChunk writing into `out` (ciphertext.length - 16 bytes), which holds unverified bytes if this rejects. */
  decryptChunkInto?(index: number, ciphertext: Uint8Array, isFinal: boolean, out: Uint8Array): Promise<void>;
}

async function importChunkKey(aead: ChunkAead, keys: MessageKeys) {
  try {
    return await aead.importKey(keys.key);
  } finally {
    keys.key.fill(0); // The AEAD holds its own (non-extractable where possible) copy.
  }
}

export async function createEncryptor(inputKey: Uint8Array, context: Uint8Array, opts: EncryptOptions = {}): Promise<Encryptor> {
  const suite = opts.suite ?? COBBLESTONE_256;
  const aead = opts.aead ?? webCryptoAead;
  checkInputKey(suite, inputKey);
  const salt = opts.salt === undefined ? randomBytes(SALT_SIZE) : new Uint8Array(opts.salt);
  const keys = await deriveMessageKeys(suite, inputKey, salt, context);
  const header = concatBytes(salt, keys.commitment);
  const cipher = rawChunkCipher(aead, await importChunkKey(aead, keys), keys.baseNonce);
  return {
    suite,
    get header() {
      return header.slice();
    },
    encryptChunk: (index, plaintext, isFinal) => cipher.sealChunk(index, plaintext, isFinal),
    encryptChunkInto: (index, plaintext, isFinal, out) => cipher.sealChunkInto(index, plaintext, isFinal, out),
  };
}

/**
 * Checks the header (exactly 56 bytes) and its commitment in constant time before anything else (C2SP:
 * "implementations MUST check the commitment matches the derived value before continuing").
 */
export async function openDecryptor(inputKey: Uint8Array, context: Uint8Array, header: Uint8Array, opts: CobblestoneOptions = {}): Promise<Decryptor> {
  const suite = opts.suite ?? COBBLESTONE_256;
  const aead = opts.aead ?? webCryptoAead;
  checkInputKey(suite, inputKey);
  if (header.length < HEADER_SIZE) throw new CryptoError('truncated', 'the ciphertext is shorter than the 56-byte header');
  if (header.length > HEADER_SIZE) throw new CryptoError('invalid_length', 'a header must be exactly 56 bytes');
  const ownHeader = new Uint8Array(header);
  const keys = await deriveMessageKeys(suite, inputKey, ownHeader.subarray(0, SALT_SIZE), context);
  if (!constantTimeEqual(keys.commitment, ownHeader.subarray(SALT_SIZE))) {
    keys.key.fill(0);
    throw new CryptoError('commitment_mismatch', 'the key commitment does not match: wrong key, wrong context or modified header');
  }
  const cipher = rawChunkCipher(aead, await importChunkKey(aead, keys), keys.baseNonce);
  return {
    suite,
    get header() {
      return ownHeader.slice();
    },
    decryptChunk: (index, ciphertext, isFinal) => cipher.openChunk(index, ciphertext, isFinal),
    decryptChunkInto: (index, ciphertext, isFinal, out) => cipher.openChunkInto(index, ciphertext, isFinal, out),
  };
}

/** One-shot encryption of a message held in memory (manifest, link slot, small files). */
export async function encryptMessage(inputKey: Uint8Array, context: Uint8Array, plaintext: Uint8Array, opts: EncryptOptions = {}): Promise<Bytes> {
  const encryptor = await createEncryptor(inputKey, context, opts);
  const count = chunkCount(plaintext.length);
  const out = new Uint8Array(ciphertextSize(plaintext.length));
  out.set(encryptor.header, 0);
  await forEachBounded(count, async (i) => {
    const chunk = plaintext.subarray(i * CHUNK_SIZE, Math.min((i + 1) * CHUNK_SIZE, plaintext.length));
    out.set(await encryptor.encryptChunk(i, chunk, i === count - 1), HEADER_SIZE + i * ENCRYPTED_CHUNK_SIZE);
  });
  return out;
}

/**
 * One-shot decryption: the header and its commitment first, then the total length (which must end
 * with a short final chunk), then every chunk. The plaintext is returned only when all tags verified.
 */
export async function decryptMessage(inputKey: Uint8Array, context: Uint8Array, ciphertext: Uint8Array, opts: CobblestoneOptions = {}): Promise<Bytes> {
  checkInputKey(opts.suite ?? COBBLESTONE_256, inputKey);
  if (ciphertext.length < HEADER_SIZE) throw new CryptoError('truncated', 'the ciphertext is shorter than the 56-byte header');
  const decryptor = await openDecryptor(inputKey, context, ciphertext.subarray(0, HEADER_SIZE), opts);
  const size = plaintextSizeOf(ciphertext.length);
  const count = chunkCount(size);
  checkChunkIndex(count - 1);
  const out = new Uint8Array(size);
  try {
    await forEachBounded(count, async (i) => {
      const start = HEADER_SIZE + i * ENCRYPTED_CHUNK_SIZE;
      const chunk = ciphertext.subarray(start, Math.min(start + ENCRYPTED_CHUNK_SIZE, ciphertext.length));
      out.set(await decryptor.decryptChunk(i, chunk, i === count - 1), i * CHUNK_SIZE);
    });
  } catch (error) {
    out.fill(0); // Chunks that did verify are wiped too: the caller gets all or nothing.
    throw error;
  }
  return out;
}
