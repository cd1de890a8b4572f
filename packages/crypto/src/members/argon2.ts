// Passphrase → key (§11.5): Argon2id (hash-wasm, WebAssembly; WebCrypto has no Argon2) with bounded parameters.
import { argon2id } from 'hash-wasm';
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, utf8 } from '../encoding/encoding.js';

export interface Argon2Params {
  /** Memory in KiB. */
  readonly m: number;
  readonly t: number;
  readonly p: number;
}

/** The floor every client enforces (crypto-notes §7), and a ceiling so a server cannot make clients burn memory. */
export const ARGON2_MIN: Argon2Params = Object.freeze({ m: 65_536, t: 3, p: 4 });
export const ARGON2_MAX: Argon2Params = Object.freeze({ m: 1_048_576, t: 16, p: 16 });
export const ARGON2_SALT_SIZE = 16;
export const MIN_PASSPHRASE_LENGTH = 12;

export function checkArgon2Params(params: Argon2Params): Argon2Params {
  const { m, t, p } = params;
  const ok = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;
  if (!ok(m, ARGON2_MIN.m, ARGON2_MAX.m) || !ok(t, ARGON2_MIN.t, ARGON2_MAX.t) || !ok(p, ARGON2_MIN.p, ARGON2_MAX.p)) {
    throw new CryptoError('parameters_refused', `Argon2id parameters must lie between m=${ARGON2_MIN.m},t=${ARGON2_MIN.t},p=${ARGON2_MIN.p} and m=${ARGON2_MAX.m},t=${ARGON2_MAX.t},p=${ARGON2_MAX.p}`);
  }
  return { m, t, p };
}

/** One Argon2id computation, already checked: 32 bytes out. */
export interface Argon2Job {
  readonly password: Uint8Array;
  readonly salt: Uint8Array;
  readonly params: Argon2Params;
}
export type Argon2Runner = (job: Argon2Job) => Promise<Bytes>;

/** Argon2id through hash-wasm on the calling thread (WebAssembly runs synchronously: it blocks that thread ~1 s). */
export async function runArgon2Here(job: Argon2Job): Promise<Bytes> {
  const out = await argon2id({
    password: job.password,
    salt: job.salt,
    iterations: job.params.t,
    parallelism: job.params.p,
    memorySize: job.params.m,
    hashLength: 32,
    outputType: 'binary',
  });
  return new Uint8Array(out);
}

let runner: Argon2Runner = runArgon2Here;

/**
 * Where Argon2id runs: a page sets a runner that computes it in a worker, so the page stays responsive while it
 * does. The runner only computes: bounds, salt and passphrase length are checked here first, whatever it is.
 * `null` goes back to the calling thread.
 */
export function setArgon2Runner(next: Argon2Runner | null): void {
  runner = next ?? runArgon2Here;
}

/** Argon2id(UTF-8(NFC(passphrase)), salt, m, t, p) → 32 bytes. Refuses parameters outside the bounds first. */
export async function passphraseSecret(passphrase: string, salt: Uint8Array, params: Argon2Params): Promise<Bytes> {
  checkArgon2Params(params);
  if (salt.length !== ARGON2_SALT_SIZE) throw new CryptoError('invalid_length', `an Argon2id salt is ${ARGON2_SALT_SIZE} bytes`);
  if ([...passphrase.normalize('NFC')].length < MIN_PASSPHRASE_LENGTH) {
    throw new CryptoError('invalid_argument', `a passphrase has at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  const out = await runner({ password: utf8(passphrase.normalize('NFC')), salt, params });
  if (out.length !== 32) throw new CryptoError('invalid_length', 'Argon2id gave a secret of the wrong size');
  return out;
}

/** The HKDF info of a passphrase wrap: the label, 0x00, then m, t, p as big-endian u32 (binds the parameters). */
export function passphraseInfo(params: Argon2Params): Bytes {
  const nums = new Uint8Array(12);
  const view = new DataView(nums.buffer);
  view.setUint32(0, params.m);
  view.setUint32(4, params.t);
  view.setUint32(8, params.p);
  return concatBytes(utf8('valise/v1/unlock/passphrase'), Uint8Array.of(0), nums);
}
