// Small pools of workers that seal (encrypt + hash) or open (verify + decrypt) parts for the upload and download
// workers: WebCrypto's cost per 16 KiB chunk is paid on the calling thread, so parts handled on several threads at
// once go several times faster. Each job goes to the least busy worker; its bytes are transferred there (not
// copied) and the result's bytes transferred back.
import type { OpenPartJob, SealPartJob, SealedPart } from '@valise/client';
import { type WorkerFailure, rebuildFailure } from './messages.js';

export type PoolRequest<Job> = { id: number; job: Job };
export type PoolResponse<Result> = { id: number; result: Result } | { id: number; failure: WorkerFailure };

class WorkerPool<Job, Result> {
  readonly #workers: Array<{ worker: Worker; busy: number }>;
  readonly #pending = new Map<number, { resolve: (result: Result) => void; reject: (error: Error) => void; slot: { busy: number } }>();
  #nextId = 1;

  constructor(size: number, spawn: () => Worker) {
    this.#workers = Array.from({ length: size }, () => {
      const slot = { worker: spawn(), busy: 0 };
      slot.worker.onmessage = ({ data }: MessageEvent<PoolResponse<Result>>) => this.#settle(data);
      slot.worker.onerror = () => this.#failAll(new Error('a part worker failed'));
      return slot;
    });
  }

  run(job: Job, bytes: Uint8Array): Promise<Result> {
    const slot = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.#nextId++;
    slot.busy++;
    // Transfer the memory when the view covers all of it; otherwise the structured clone copies it.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, job } satisfies PoolRequest<Job>, whole ? [bytes.buffer as ArrayBuffer] : []);
    });
  }

  terminate(): void {
    for (const { worker } of this.#workers) worker.terminate();
    this.#failAll(new Error('the work ended'));
  }

  #settle(response: PoolResponse<Result>): void {
    const pending = this.#pending.get(response.id);
    if (!pending) return;
    this.#pending.delete(response.id);
    pending.slot.busy--;
    if ('result' in response) pending.resolve(response.result);
    else pending.reject(rebuildFailure(response.failure));
  }

  #failAll(error: Error): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(error);
    }
  }
}

export class PartSealerPool extends WorkerPool<SealPartJob, SealedPart> {
  constructor(size: number) {
    super(size, () => new Worker(new URL('./part-sealer.worker.ts', import.meta.url), { type: 'module' }));
  }

  seal(job: SealPartJob): Promise<SealedPart> {
    return this.run(job, job.plaintext);
  }
}

export class PartOpenerPool extends WorkerPool<OpenPartJob, Uint8Array> {
  constructor(size: number) {
    super(size, () => new Worker(new URL('./part-opener.worker.ts', import.meta.url), { type: 'module' }));
  }

  open(job: OpenPartJob): Promise<Uint8Array> {
    return this.run(job, job.ciphertext);
  }
}

/** Workers per pool: one per core, at least two (the download or upload worker itself mostly waits). */
export function poolSize(): number {
  return Math.min(4, Math.max(2, navigator.hardwareConcurrency || 2));
}

/**
 * A part-opener pool where cores are left over, else null (the download worker then verifies and decrypts on its
 * own thread, several parts at once). On 2 cores the pool made downloads slower: 1 GiB at 38 MiB/s against 45–50
 * without it (bench/README.md), as the server and the browser's network process share those cores.
 */
export function openerPoolIfWorthIt(): PartOpenerPool | null {
  const cores = navigator.hardwareConcurrency || 2;
  return cores > 2 ? new PartOpenerPool(Math.min(4, cores - 1)) : null;
}
