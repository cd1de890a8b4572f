// Encrypts and hashes parts for the upload worker, which runs several of these (part-pools.ts). Same engine code as
// the CLI (sealPart).
/// <reference lib="webworker" />
import { type SealPartJob, type SealedPart, encryptorForJob, sealPart } from '@valise/client';
import type { Encryptor } from '@valise/crypto';
import { describeFailure } from './messages.js';
import { recentCache } from './recent-cache.js';
import type { PoolRequest, PoolResponse } from './part-pools.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const encryptors = recentCache<Encryptor>(8);
const encryptorFor = (job: SealPartJob): Promise<Encryptor> => encryptors(`${job.transferId}/${job.fileId}/${job.salt}`, () => encryptorForJob(job));

scope.onmessage = async ({ data }: MessageEvent<PoolRequest<SealPartJob>>) => {
  try {
    const sealed = await sealPart(data.job, await encryptorFor(data.job));
    scope.postMessage({ id: data.id, result: sealed } satisfies PoolResponse<SealedPart>, [sealed.ciphertext.buffer as ArrayBuffer]);
  } catch (error) {
    scope.postMessage({ id: data.id, failure: describeFailure(error) } satisfies PoolResponse<SealedPart>);
  }
};
