// SHA-256 on node:crypto: the CLI's fast path for part hashes, the same digest as WebCrypto's without its copy and thread hop.
import { createHash } from 'node:crypto';
import type { Sha256 } from '@valise/crypto';

export const nodeSha256: Sha256 = async (bytes) => {
  const digest = createHash('sha256').update(bytes).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
};
