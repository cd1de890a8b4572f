// Signature keys of format v1 (§11.1): Ed25519, or ECDSA P-256 with SHA-256 where a runtime lacks Ed25519.
import { CryptoError } from '../errors.js';
import type { Bytes } from '../encoding/encoding.js';

export type SigName = 'Ed25519' | 'ECDSA-P256';
export const SIG_NAMES: readonly SigName[] = ['Ed25519', 'ECDSA-P256'];
/** Raw public key sizes: Ed25519 32 bytes; P-256 uncompressed SEC 1 point 65 bytes. */
export const SIG_PUBLIC_KEY_SIZE: Readonly<Record<SigName, number>> = Object.freeze({ Ed25519: 32, 'ECDSA-P256': 65 });
/** Both produce 64-byte signatures (ECDSA as IEEE P1363 r ‖ s, which is WebCrypto's own form). */
export const SIGNATURE_SIZE = 64;

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

function importAlgorithm(sig: SigName): AlgorithmIdentifier | EcKeyImportParams {
  return sig === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
}
function signAlgorithm(sig: SigName): AlgorithmIdentifier | EcdsaParams {
  return sig === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
}

export function checkSigName(value: unknown): SigName {
  if (value !== 'Ed25519' && value !== 'ECDSA-P256') throw new CryptoError('record_invalid', 'unknown signature algorithm');
  return value;
}

/** A private signing key: the CryptoKey is non-extractable; the name says how to use it. */
export interface SigningKey {
  readonly sig: SigName;
  readonly key: CryptoKey;
}

/** Does this runtime's WebCrypto sign with `sig`? (Used to choose Ed25519, else ECDSA P-256.) */
export async function sigAvailable(sig: SigName): Promise<boolean> {
  try {
    await subtle().generateKey(importAlgorithm(sig) as EcKeyGenParams, false, ['sign', 'verify']);
    return true;
  } catch {
    return false;
  }
}

/** A fresh signing key pair: raw public key and PKCS#8 private key (to be sealed in a key bundle at once). */
export async function generateSigKeyPair(sig: SigName): Promise<{ publicKey: Bytes; privateKeyPkcs8: Bytes }> {
  const pair = (await subtle().generateKey(importAlgorithm(sig) as EcKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  const privateKeyPkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
  return { publicKey, privateKeyPkcs8 };
}

export async function importSigningKey(sig: SigName, pkcs8: Uint8Array): Promise<SigningKey> {
  try {
    return { sig, key: await subtle().importKey('pkcs8', pkcs8 as BufferSource, importAlgorithm(sig), false, ['sign']) };
  } catch {
    throw new CryptoError('invalid_key', 'the signing private key could not be imported');
  }
}

export async function importVerifyKey(sig: SigName, publicKey: Uint8Array): Promise<CryptoKey> {
  if (publicKey.length !== SIG_PUBLIC_KEY_SIZE[sig]) throw new CryptoError('invalid_key', `a ${sig} public key must be ${SIG_PUBLIC_KEY_SIZE[sig]} bytes`);
  try {
    return await subtle().importKey('raw', publicKey as BufferSource, importAlgorithm(sig), true, ['verify']);
  } catch {
    throw new CryptoError('invalid_key', `not a valid ${sig} public key`);
  }
}

export async function sign(key: SigningKey, message: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await subtle().sign(signAlgorithm(key.sig), key.key, message as BufferSource));
}

/** True only for a valid signature of exactly 64 bytes; a malformed key throws 'invalid_key'. */
export async function verifySignature(sig: SigName, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = await importVerifyKey(sig, publicKey);
  if (signature.length !== SIGNATURE_SIZE) return false;
  try {
    return await subtle().verify(signAlgorithm(sig), key, signature as BufferSource, message as BufferSource);
  } catch {
    return false;
  }
}
