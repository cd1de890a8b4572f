// Verifies (SHA-256 against the manifest) and decrypts parts for the download worker, which runs several of these
// (part-pools.ts). Same engine code as the CLI (openPart): nothing leaves here before every tag verified.
/// <reference lib="webworker" />
import { type OpenPartJob, decryptorForJob, openPart } from '@valise/client';
import type { Decryptor } from '@valise/crypto';
import { describeFailure } from './messages.js';
import type { PoolRequest, PoolResponse } from './part-pools.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
/** The decryptors of the last few files (a transfer's parts go file by file). */
const decryptors = new Map<string, Promise<Decryptor>>();

function decryptorFor(job: OpenPartJob): Promise<Decryptor> {
  const key = `${job.transferId}/${job.fileId}`;
  let decryptor = decryptors.get(key);
  if (!decryptor) {
    decryptor = decryptorForJob(job);
    decryptor.catch(() => decryptors.delete(key));
    decryptors.set(key, decryptor);
    if (decryptors.size > 8) decryptors.delete(decryptors.keys().next().value as string);
  }
  return decryptor;
}

scope.onmessage = async ({ data }: MessageEvent<PoolRequest<OpenPartJob>>) => {
  try {
    const plaintext = await openPart(data.job, await decryptorFor(data.job));
    const whole = plaintext.byteOffset === 0 && plaintext.byteLength === plaintext.buffer.byteLength;
    scope.postMessage({ id: data.id, result: plaintext } satisfies PoolResponse<Uint8Array>, whole ? [plaintext.buffer as ArrayBuffer] : []);
  } catch (error) {
    scope.postMessage({ id: data.id, failure: describeFailure(error) } satisfies PoolResponse<Uint8Array>);
  }
};
