// Verifies (SHA-256 against the manifest) and decrypts parts for the download worker, which runs several of these
// (part-pools.ts). Same engine code as the CLI (openPart): nothing leaves here before every tag verified.
/// <reference lib="webworker" />
import { type OpenPartJob, decryptorForJob, openPart } from '@valise/client';
import type { Decryptor } from '@valise/crypto';
import { describeFailure } from './messages.js';
import { recentCache } from './recent-cache.js';
import type { PoolRequest, PoolResponse } from './part-pools.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const decryptors = recentCache<Decryptor>(8);
const decryptorFor = (job: OpenPartJob): Promise<Decryptor> => decryptors(`${job.transferId}/${job.fileId}`, () => decryptorForJob(job));

scope.onmessage = async ({ data }: MessageEvent<PoolRequest<OpenPartJob>>) => {
  try {
    const plaintext = await openPart(data.job, await decryptorFor(data.job));
    const whole = plaintext.byteOffset === 0 && plaintext.byteLength === plaintext.buffer.byteLength;
    scope.postMessage({ id: data.id, result: plaintext } satisfies PoolResponse<Uint8Array>, whole ? [plaintext.buffer as ArrayBuffer] : []);
  } catch (error) {
    scope.postMessage({ id: data.id, failure: describeFailure(error) } satisfies PoolResponse<Uint8Array>);
  }
};
