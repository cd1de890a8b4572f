// Runs the passphrase's Argon2id in a worker of its own, so the page keeps answering while keys unlock. One worker
// per computation, ended after it: Argon2id's 64 MiB (or more) of memory goes with it.
import { type Argon2Job, type Argon2Runner, setArgon2Runner } from '@valise/crypto';

export const argon2InWorker: Argon2Runner = (job: Argon2Job) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../workers/argon2.worker.ts', import.meta.url), { type: 'module', name: 'argon2id' });
    const done = () => worker.terminate();
    worker.onmessage = ({ data }: MessageEvent<{ secret?: Uint8Array<ArrayBuffer>; failed?: true }>) => {
      done();
      if (data.secret) resolve(data.secret);
      else reject(new Error('Argon2id failed in its worker'));
    };
    worker.onerror = () => {
      done();
      reject(new Error('the Argon2id worker could not start'));
    };
    worker.postMessage(job);
  });

/** Every passphrase unlock on this page computes its Argon2id in a worker (where workers exist). */
export function runArgon2InWorkers(): void {
  if (typeof Worker !== 'undefined') setArgon2Runner(argon2InWorker);
}
