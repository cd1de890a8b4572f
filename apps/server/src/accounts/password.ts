// Password hashing with Argon2id (RFC 9106) in a worker thread, and the password policy.
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@valise/protocol';
import type { Argon2Job } from './argon2-worker.js';

/**
 * OWASP's Argon2id baseline (m = 19 MiB, t = 2, p = 1): ~90 ms here. Parameters are stored in each PHC string,
 * so raising them later only affects new hashes.
 */
export const PASSWORD_HASH_PARAMS = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 } as const;

type Pending = { resolve: (value: string | boolean) => void; reject: (error: Error) => void };
type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

/** One worker, started lazily and unref'd so it never keeps the process alive. */
class Argon2Pool {
  #worker: Worker | null = null;
  #pending = new Map<number, Pending>();
  #nextId = 1;

  run(job: Distribute<Argon2Job>): Promise<string | boolean> {
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...job, id });
    });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./argon2-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (msg: { id: number; ok: boolean; result?: string | boolean }) => {
      const pending = this.#pending.get(msg.id);
      if (!pending) return;
      this.#pending.delete(msg.id);
      if (this.#pending.size === 0) worker.unref();
      if (msg.ok && msg.result !== undefined) pending.resolve(msg.result);
      else pending.reject(new Error('argon2 computation failed'));
    });
    worker.on('error', (error) => {
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
      this.#worker = null;
    });
    this.#worker = worker;
    return worker;
  }
}

const pool = new Argon2Pool();

export async function hashPassword(password: string, params = PASSWORD_HASH_PARAMS): Promise<string> {
  const salt = new Uint8Array(randomBytes(16));
  return (await pool.run({ op: 'hash', password, salt, ...params })) as string;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  return (await pool.run({ op: 'verify', password, encoded })) === true;
}

/** Computes a PHC string with a given salt: for known-answer tests only. */
export async function argon2idEncodedForTest(password: string, salt: Uint8Array, params: { memoryKiB: number; iterations: number; parallelism: number }): Promise<string> {
  return (await pool.run({ op: 'hash', password, salt, ...params })) as string;
}

export type PasswordProblem = 'too_short' | 'too_long' | 'same_as_email' | 'one_repeated_character';

/** NIST SP 800-63B style: length is what matters; refuse only the obviously guessable. */
export function checkPasswordPolicy(password: string, email: string): PasswordProblem | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  if (password.toLowerCase() === email.toLowerCase()) return 'same_as_email';
  if (new Set(password).size === 1) return 'one_repeated_character';
  return null;
}
