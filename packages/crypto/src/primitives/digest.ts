// SHA-256 digests (FIPS 180-4) through WebCrypto, used for the per-part hashes of the manifest.
import { type Bytes, ownedBytes } from '../encoding/encoding.js';

/** SHA-256(bytes), 32 bytes. */
export async function sha256(bytes: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', ownedBytes(bytes)));
}

/** A SHA-256 implementation: `sha256` (WebCrypto) by default; the CLI injects node:crypto's, faster on large parts. */
export type Sha256 = (bytes: Uint8Array) => Promise<Uint8Array>;
