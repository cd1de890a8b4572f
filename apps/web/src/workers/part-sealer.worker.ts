// Encrypts and hashes parts for the upload worker, which runs several of these (part-pools.ts). Same engine code as
// the CLI (sealPart).
/// <reference lib="webworker" />
import { type SealPartJob, type SealedPart, encryptorForJob, sealPart } from '@valise/client';
import type { Encryptor } from '@valise/crypto';
import { describeFailure } from './messages.js';
import type { PoolRequest, PoolResponse } from './part-pools.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
/** The encryptors of the last few files (a transfer's parts go file by file). */
const encryptors = new Map<string, Promise<Encryptor>>();

function encryptorFor(job: SealPartJob): Promise<Encryptor> {
  const key = `${job.transferId}/${job.fileId}/${job.salt}`;
  let encryptor = encryptors.get(key);
  if (!encryptor) {
    encryptor = encryptorForJob(job);
    encryptors.set(key, encryptor);
    if (encryptors.size > 8) encryptors.delete(encryptors.keys().next().value as string);
  }
  return encryptor;
}

scope.onmessage = async ({ data }: MessageEvent<PoolRequest<SealPartJob>>) => {
  try {
    const sealed = await sealPart(data.job, await encryptorFor(data.job));
    scope.postMessage({ id: data.id, result: sealed } satisfies PoolResponse<SealedPart>, [sealed.ciphertext.buffer as ArrayBuffer]);
  } catch (error) {
    scope.postMessage({ id: data.id, failure: describeFailure(error) } satisfies PoolResponse<SealedPart>);
  }
};
