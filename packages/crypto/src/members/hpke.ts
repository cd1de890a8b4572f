// HPKE (RFC 9180) of member slots (§11.1, §12.1): base mode, DHKEM(X25519 | P-256, HKDF-SHA256), HKDF-SHA256,
// AES-256-GCM, empty aad, written enc ‖ ct. @hpke/core runs it on WebCrypto only.
import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, DhkemX25519HkdfSha256, HkdfSha256, type SenderContext } from '@hpke/core';
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, fromBase64Url } from '../encoding/encoding.js';

export type KemName = 'X25519' | 'P-256';
export const KEM_NAMES: readonly KemName[] = ['X25519', 'P-256'];
/** Nenc: the encapsulated key that starts every box (raw X25519; uncompressed SEC 1 P-256 point). */
export const HPKE_ENC_SIZE: Readonly<Record<KemName, number>> = Object.freeze({ X25519: 32, 'P-256': 65 });
/** Raw public key sizes (§11.1): the same encodings as enc. */
export const KEM_PUBLIC_KEY_SIZE: Readonly<Record<KemName, number>> = Object.freeze({ X25519: 32, 'P-256': 65 });
/** The AES-256-GCM tag after the ciphertext: a box is Nenc + plaintext + 16 bytes. */
export const HPKE_TAG_SIZE = 16;

declare const kemPrivateKeyBrand: unique symbol;
/** An imported KEM private key. Opaque: its CryptoKeys are held out of reach and are non-extractable. */
export type KemPrivateKey = { readonly kem: KemName; readonly [kemPrivateKeyBrand]: true };

interface KeyInside {
  readonly kem: KemName;
  // The pair, not the private key alone: given only a private key, @hpke/core's decap re-derives the public key
  // by exporting it as JWK, and its fallback for non-extractable keys guesses y's sign for P-256 (wrong half the
  // time, and pkRm is hashed into kem_context).
  readonly pair: CryptoKeyPair;
  readonly publicKey: Bytes;
}
const inside = new WeakMap<KemPrivateKey, KeyInside>();

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
const suites = new Map<KemName, CipherSuite>();

function checkKem(kem: KemName): void {
  if (kem !== 'X25519' && kem !== 'P-256') throw new CryptoError('invalid_argument', 'unknown KEM');
}

function suite(kem: KemName): CipherSuite {
  checkKem(kem);
  let s = suites.get(kem);
  if (s === undefined) {
    const dhkem = kem === 'X25519' ? new DhkemX25519HkdfSha256() : new DhkemP256HkdfSha256();
    s = new CipherSuite({ kem: dhkem, kdf: new HkdfSha256(), aead: new Aes256Gcm() });
    suites.set(kem, s);
  }
  return s;
}

function algorithm(kem: KemName): AlgorithmIdentifier | EcKeyImportParams {
  return kem === 'X25519' ? { name: 'X25519' } : { name: 'ECDH', namedCurve: 'P-256' };
}

/** Exact length, and for P-256 the uncompressed form only (Node also imports the 0x06/0x07 "hybrid" form). */
function checkPublicKey(kem: KemName, publicKey: Uint8Array): void {
  if (publicKey.length !== KEM_PUBLIC_KEY_SIZE[kem]) {
    throw new CryptoError('invalid_key', `a ${kem} public key must be ${KEM_PUBLIC_KEY_SIZE[kem]} bytes`);
  }
  if (kem === 'P-256' && publicKey[0] !== 0x04) throw new CryptoError('invalid_key', 'a P-256 public key must be an uncompressed point');
}

/** Does this runtime's WebCrypto do `kem`? (Used to choose X25519, else P-256.) */
export async function kemAvailable(kem: KemName): Promise<boolean> {
  checkKem(kem);
  try {
    await subtle().generateKey(algorithm(kem) as EcKeyGenParams, false, ['deriveBits']);
    return true;
  } catch {
    return false;
  }
}

/** A fresh KEM key pair: raw public key and PKCS#8 private key (to be sealed in a key bundle at once). */
export async function generateKemKeyPair(kem: KemName): Promise<{ publicKey: Bytes; privateKeyPkcs8: Bytes }> {
  checkKem(kem);
  const pair = (await subtle().generateKey(algorithm(kem) as EcKeyGenParams, true, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  const privateKeyPkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
  return { publicKey, privateKeyPkcs8 };
}

/** The raw public key of a private key that WebCrypto will not export. */
async function derivePublicKey(kem: KemName, privateKey: CryptoKey, pkcs8: Uint8Array): Promise<Bytes> {
  if (kem === 'X25519') {
    // X25519(sk, 9) is the public key (RFC 7748 §6.1): no export needed.
    const basePoint = new Uint8Array(32);
    basePoint[0] = 9;
    const base = await subtle().importKey('raw', basePoint, algorithm(kem), true, []);
    return new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: base } as EcdhKeyDeriveParams, privateKey, 256));
  }
  // ECDH yields x only, and y's sign is part of pkRm in kem_context: read x and y from a throwaway extractable copy.
  const copy = await subtle().importKey('pkcs8', pkcs8 as BufferSource, algorithm(kem), true, ['deriveBits']);
  const { x, y } = await subtle().exportKey('jwk', copy);
  return concatBytes(new Uint8Array([0x04]), fromBase64Url(x ?? '', 32), fromBase64Url(y ?? '', 32));
}

/** Imports a PKCS#8 KEM private key as a non-extractable CryptoKey, with its public key beside it. */
export async function importKemPrivateKey(kem: KemName, pkcs8: Uint8Array): Promise<KemPrivateKey> {
  checkKem(kem);
  try {
    const privateKey = await subtle().importKey('pkcs8', pkcs8 as BufferSource, algorithm(kem), false, ['deriveBits']);
    const publicKey = await derivePublicKey(kem, privateKey, pkcs8);
    const publicCryptoKey = await subtle().importKey('raw', publicKey, algorithm(kem), true, []);
    const handle = Object.freeze({ kem }) as KemPrivateKey;
    inside.set(handle, { kem, pair: { privateKey, publicKey: publicCryptoKey }, publicKey });
    return handle;
  } catch {
    throw new CryptoError('invalid_key', `the ${kem} private key could not be imported`);
  }
}

function keyInside(privateKey: KemPrivateKey): KeyInside {
  const key = inside.get(privateKey);
  if (key === undefined) throw new CryptoError('invalid_key', 'not a KEM private key made by importKemPrivateKey');
  return key;
}

/** The raw public key of an imported private key (to compare with the member's certified record, §11.4). */
export function kemPublicKeyOf(privateKey: KemPrivateKey): Bytes {
  return keyInside(privateKey).publicKey.slice();
}

/** HPKE-Seal in base mode with empty aad → enc ‖ ct. The recipient's key is checked before anything else. */
export async function hpkeSeal(kem: KemName, recipientPublicKey: Uint8Array, info: Uint8Array, plaintext: Uint8Array): Promise<Bytes> {
  const s = suite(kem);
  checkPublicKey(kem, recipientPublicKey);
  let sender: SenderContext;
  try {
    const pkR = await s.kem.deserializePublicKey(recipientPublicKey);
    // Also fails for an X25519 point of small order: WebCrypto refuses the all-zero shared secret (RFC 9180 §7.1.4).
    sender = await s.createSenderContext({ recipientPublicKey: pkR, info });
  } catch {
    throw new CryptoError('invalid_key', `not a valid ${kem} public key`);
  }
  const ct = await sender.seal(plaintext);
  return concatBytes(new Uint8Array(sender.enc), new Uint8Array(ct));
}

/** HPKE-Open of enc ‖ ct; returns the plaintext only once the tag verified. */
export async function hpkeOpen(kem: KemName, recipientPrivateKey: KemPrivateKey, info: Uint8Array, box: Uint8Array): Promise<Bytes> {
  const s = suite(kem);
  const key = keyInside(recipientPrivateKey);
  if (key.kem !== kem) throw new CryptoError('invalid_key', `the private key is not a ${kem} key`);
  const nEnc = HPKE_ENC_SIZE[kem];
  if (box.length < nEnc + HPKE_TAG_SIZE) throw new CryptoError('invalid_length', `an HPKE box for ${kem} is at least ${nEnc + HPKE_TAG_SIZE} bytes`);
  try {
    const recipient = await s.createRecipientContext({ recipientKey: key.pair, enc: box.subarray(0, nEnc), info });
    return new Uint8Array(await recipient.open(box.subarray(nEnc)));
  } catch {
    // One answer for a bad enc, a wrong key or info, and a modified ciphertext.
    throw new CryptoError('authentication_failed', 'an HPKE box failed to open');
  }
}
