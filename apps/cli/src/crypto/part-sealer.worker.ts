// One part-sealer thread (see part-sealer.ts): the engine's own sealPart, with the CLI's node:crypto AES-GCM and
// SHA-256, so its parts are byte for byte those of the main thread's path. Keys arrive in jobs and are never logged.
import { parentPort } from 'node:worker_threads';
import { type SealPartJob, encryptorForJob, sealPart } from '@valise/client';
import type { Encryptor } from '@valise/crypto';
import { nodeAead } from './node-aead.js';
import { nodeSha256 } from './node-digest.js';
import { type SealRequest, type SealResponse, transferable } from './part-sealer.js';

const port = parentPort!;
/** The encryptors of the last few files (a transfer's parts go file by file). */
const encryptors = new Map<string, Promise<Encryptor>>();

function encryptorFor(job: SealPartJob): Promise<Encryptor> {
  const key = `${job.transferId}/${job.fileId}/${job.salt}`;
  let encryptor = encryptors.get(key);
  if (!encryptor) {
    encryptor = encryptorForJob(job, nodeAead);
    encryptors.set(key, encryptor);
    if (encryptors.size > 8) encryptors.delete(encryptors.keys().next().value as string);
  }
  return encryptor;
}

port.on('message', async ({ id, job }: SealRequest) => {
  try {
    const sealed = await sealPart(job, await encryptorFor(job), { sha256: nodeSha256 });
    // The plaintext's buffer goes back too, for the next part to be read into.
    port.postMessage({ id, sealed, plaintext: job.plaintext } satisfies SealResponse, [...transferable(sealed.ciphertext), ...transferable(job.plaintext)]);
  } catch (error) {
    // Only the message crosses back: it names what failed, never a key.
    port.postMessage({ id, error: error instanceof Error ? error.message : 'unexpected error' } satisfies SealResponse);
  }
});
