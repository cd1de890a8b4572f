// A small pool of part-sealer threads for `valise send`: encrypting and hashing an 8 MiB part costs the main thread
// ~15 ms during which no HTTP I/O moves, so the parts can be sealed beside it instead. Each part goes to the least
// busy thread, its plaintext transferred (not copied) there and its ciphertext transferred back with the plaintext's
// buffer, which the next part is read into (a fresh 8 MiB array per part costs page faults and zeroing).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FileSource, SealPartJob, SealedPart } from '@valise/client';
import { PART_PLAINTEXT_SIZE } from '@valise/crypto';

export type SealRequest = { id: number; job: SealPartJob };
export type SealResponse = { id: number; sealed: SealedPart; plaintext: Uint8Array } | { id: number; error: string };

interface Thread {
  worker: Worker;
  busy: number;
}

/**
 * Threads only where cores are left over. On 2 cores shared with the server (bench/README.md), two threads made
 * `send` slower: its CPU per GiB went from ~4 s to 7.5–9.5 s (~0.25 s to start each thread, buffers crossing threads,
 * more GC) to move ~2 s of sealing off the main thread. Not measured on more cores.
 */
export const defaultSealerThreads = (): number => Math.max(0, Math.min(2, availableParallelism() - 2));

/** The memory of `bytes`, when the view covers all of it (otherwise the structured clone copies it). */
export function transferable(bytes: Uint8Array): ArrayBuffer[] {
  const { buffer } = bytes;
  return buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength ? [buffer] : [];
}

export class PartSealerPool {
  readonly #threads: Thread[];
  readonly #pending = new Map<number, { resolve: (sealed: SealedPart) => void; reject: (error: Error) => void; thread: Thread }>();
  /** Whole-part plaintext buffers given back by the threads, for reading the next parts into. */
  readonly #spare: Uint8Array[] = [];
  #nextId = 1;
  /** Set once a thread failed or the pool was stopped: every job then fails with it (none waits forever). */
  #failure: Error | undefined;

  /** `script` is the thread's code: the part sealer, or another one in tests. */
  constructor(size: number, script = new URL('./part-sealer.worker.js', import.meta.url)) {
    this.#threads = Array.from({ length: Math.max(1, size) }, () => {
      const thread = { worker: new Worker(script), busy: 0 };
      thread.worker.on('message', (response: SealResponse) => this.#settle(response));
      thread.worker.on('error', (error) => this.#fail(new Error(`a part-sealer thread failed: ${error.message}`)));
      thread.worker.on('exit', (code) => this.#fail(new Error(`a part-sealer thread stopped (exit code ${code})`)));
      // An idle thread never keeps the process alive, a busy one does (see seal). After the listeners: adding a
      // 'message' listener refs the worker again.
      thread.worker.unref();
      return thread;
    });
  }

  seal(job: SealPartJob): Promise<SealedPart> {
    if (this.#failure) return Promise.reject(this.#failure);
    const thread = this.#threads.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.#nextId++;
    if (thread.busy++ === 0) thread.worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, thread });
      try {
        thread.worker.postMessage({ id, job } satisfies SealRequest, transferable(job.plaintext));
      } catch (error) {
        this.#done(id, thread); // not sent (a detached buffer, say): nothing to wait for
        reject(error);
      }
    });
  }

  /** `source`, reading whole parts into the buffers the threads gave back (the engine reads one part per job). */
  recycling(source: FileSource): FileSource {
    return {
      ...source,
      readRange: (start, end) => {
        const spare = source.readRangeInto && end - start === PART_PLAINTEXT_SIZE ? this.#spare.pop() : undefined;
        return spare ? source.readRangeInto!(start, end, spare) : source.readRange(start, end);
      },
    };
  }

  /** Stops every thread; jobs still running fail. Call it on every way out, or the threads outlive the command. */
  async terminate(): Promise<void> {
    this.#fail(new Error('the part-sealer threads were stopped'));
    await Promise.all(this.#threads.map(({ worker }) => worker.terminate()));
  }

  #settle(response: SealResponse): void {
    const pending = this.#pending.get(response.id);
    if (!pending) return;
    this.#done(response.id, pending.thread);
    if ('sealed' in response) {
      if (response.plaintext.byteLength === PART_PLAINTEXT_SIZE) this.#spare.push(response.plaintext);
      pending.resolve(response.sealed);
    } else pending.reject(new Error(`encrypting a part failed: ${response.error}`));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const [id, pending] of this.#pending) {
      this.#done(id, pending.thread);
      pending.reject(this.#failure);
    }
  }

  #done(id: number, thread: Thread): void {
    this.#pending.delete(id);
    if (--thread.busy === 0) thread.worker.unref();
  }
}
