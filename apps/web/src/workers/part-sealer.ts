// A small pool of part-sealer workers for the upload worker: each part goes to the least busy one, its plaintext
// transferred (not copied) there and its ciphertext transferred back.
import type { SealPartJob, SealedPart } from '@valise/client';
import { type WorkerFailure, rebuildFailure } from './messages.js';

export type SealRequest = { id: number; job: SealPartJob };
export type SealResponse = { id: number; sealed: SealedPart } | { id: number; failure: WorkerFailure };

export class PartSealerPool {
  readonly #workers: Array<{ worker: Worker; busy: number }>;
  readonly #pending = new Map<number, { resolve: (sealed: SealedPart) => void; reject: (error: Error) => void; slot: { busy: number } }>();
  #nextId = 1;

  constructor(size: number) {
    this.#workers = Array.from({ length: size }, () => {
      const slot = { worker: new Worker(new URL('./part-sealer.worker.ts', import.meta.url), { type: 'module' }), busy: 0 };
      slot.worker.onmessage = ({ data }: MessageEvent<SealResponse>) => this.#settle(data);
      slot.worker.onerror = () => this.#failAll(new Error('a part-sealer worker failed'));
      return slot;
    });
  }

  seal(job: SealPartJob): Promise<SealedPart> {
    const slot = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.#nextId++;
    slot.busy++;
    // Transfer the plaintext's memory when the view covers all of it; otherwise the structured clone copies it.
    const whole = job.plaintext.byteOffset === 0 && job.plaintext.byteLength === job.plaintext.buffer.byteLength;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, job } satisfies SealRequest, whole ? [job.plaintext.buffer as ArrayBuffer] : []);
    });
  }

  terminate(): void {
    for (const { worker } of this.#workers) worker.terminate();
    this.#failAll(new Error('the upload ended'));
  }

  #settle(response: SealResponse): void {
    const pending = this.#pending.get(response.id);
    if (!pending) return;
    this.#pending.delete(response.id);
    pending.slot.busy--;
    if ('sealed' in response) pending.resolve(response.sealed);
    else pending.reject(rebuildFailure(response.failure));
  }

  #failAll(error: Error): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(error);
    }
  }
}
