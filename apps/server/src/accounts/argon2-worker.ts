// Worker thread that runs Argon2id (hash-wasm), so a ~100 ms password hash never blocks the event loop.
import { parentPort } from 'node:worker_threads';
import { argon2id, argon2Verify } from 'hash-wasm';

export type Argon2Job =
  | { id: number; op: 'hash'; password: string; salt: Uint8Array; memoryKiB: number; iterations: number; parallelism: number }
  | { id: number; op: 'verify'; password: string; encoded: string };

parentPort?.on('message', async (job: Argon2Job) => {
  try {
    const result = job.op === 'hash'
      ? await argon2id({
        password: job.password, salt: job.salt, memorySize: job.memoryKiB, iterations: job.iterations,
        parallelism: job.parallelism, hashLength: 32, outputType: 'encoded',
      })
      : await argon2Verify({ password: job.password, hash: job.encoded });
    parentPort?.postMessage({ id: job.id, ok: true, result });
  } catch {
    // Never echo the password or hash back in an error.
    parentPort?.postMessage({ id: job.id, ok: false });
  }
});
