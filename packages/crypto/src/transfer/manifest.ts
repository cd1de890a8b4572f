// The manifest of a transfer: RFC 8785 canonical JSON, encrypted with Cobblestone-256 under TK in the "valise/v1/manifest" context.
import canonicalize from 'canonicalize';
import { type EncryptOptions, decryptMessage, encryptMessage } from '../cobblestone/cobblestone.js';
import { manifestContext } from './context.js';
import { CryptoError } from '../errors.js';
import { type Bytes, fromUtf8, toBase64Url, utf8 } from '../encoding/encoding.js';
import { type Sha256, sha256 } from '../primitives/digest.js';
import { type TransferIdBytes, idFromText, idToText } from '../encoding/ids.js';
import { type Manifest, validateManifest } from './manifest-validate.js';
import { type TransferKey } from './transfer-keys.js';

export { type Manifest, type ManifestFile, MAX_FILE_NAME_LENGTH, MAX_MANIFEST_FILES, validateManifest } from './manifest-validate.js';

/** Validates, then serialises as RFC 8785 canonical JSON in UTF-8: one byte string per manifest. */
export function serializeManifest(manifest: Manifest): Bytes {
  const valid = validateManifest(manifest);
  const json = canonicalize(valid);
  if (json === undefined) throw new CryptoError('manifest_invalid', 'manifest could not be serialised');
  return utf8(json);
}

/**
 * Parses decrypted manifest bytes: strict UTF-8, JSON, strict validation, and the bytes must be exactly
 * the canonical serialisation (this also rejects duplicate keys, which JSON.parse would silently merge).
 */
export function parseManifest(bytes: Uint8Array, expectedTransferId: TransferIdBytes): Manifest {
  let value: unknown;
  let json: string;
  try {
    json = fromUtf8(bytes);
    value = JSON.parse(json);
  } catch {
    throw new CryptoError('manifest_invalid', 'manifest is not UTF-8 JSON');
  }
  const manifest = validateManifest(value, idToText(expectedTransferId));
  if (canonicalize(manifest) !== json) throw new CryptoError('manifest_invalid', 'manifest is not in RFC 8785 canonical form');
  return manifest;
}

/** Cobblestone-256(TK, ctx("valise/v1/manifest", transferId), canonical JSON). */
export async function encryptManifest(tk: TransferKey, manifest: Manifest, opts: Pick<EncryptOptions, 'salt' | 'aead'> = {}): Promise<Bytes> {
  const bytes = serializeManifest(manifest);
  return encryptMessage(tk, manifestContext(idFromText<'TransferId'>(manifest.transferId)), bytes, opts);
}

/**
 * Decrypts and strictly validates a manifest. A manifest of another transfer fails the commitment
 * ('commitment_mismatch'); one whose content names another transfer fails validation ('manifest_invalid').
 */
export async function decryptManifest(tk: TransferKey, transferId: TransferIdBytes, bytes: Uint8Array, opts: Pick<EncryptOptions, 'aead'> = {}): Promise<Manifest> {
  const plaintext = await decryptMessage(tk, manifestContext(transferId), bytes, opts);
  return parseManifest(plaintext, transferId);
}

/** The manifest's entry for one ciphertext part: base64url(SHA-256(part bytes)). */
export async function partHash(ciphertextOfPart: Uint8Array, digest: Sha256 = sha256): Promise<string> {
  return toBase64Url(await digest(ciphertextOfPart));
}
