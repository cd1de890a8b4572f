// The files of DATA_DIR/share-keys/: one per epoch (UTC day), named by the epoch number, mode 0600 in a 0700
// folder. Key reads and creation are synchronous on purpose: sealing and opening a server share stay synchronous
// calls for the services, and they touch one small local file at most once per cache period (share-keys.ts).
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { lstat, mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, syncDirectory, tempPathFor } from './atomic-file.js';

export const SHARE_KEYS_DIR = 'share-keys';
const FORMAT = 'valise-share-key-v1';
const KEY_BYTES = 32;
const MAX_FILE_BYTES = 4096;
/** Epoch numbers as file names: days since 1970-01-01, no sign, no leading zero. */
const EPOCH_NAME = /^(0|[1-9]\d{0,8})$/;
export const DAY_MS = 86_400_000;

export class ShareKeyFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ShareKeyFileError';
  }
}

/** The UTC day a key covers, for people: 20454 → "2026-01-01". */
export function dayOf(epoch: number): string {
  return new Date(epoch * DAY_MS).toISOString().slice(0, 10);
}

/** Makes (or checks) the folder: a real directory, 0700, never a symbolic link. */
export async function prepareShareKeyDir(dataDir: string): Promise<string> {
  const dir = join(dataDir, SHARE_KEYS_DIR);
  await mkdir(dir, { mode: 0o700 }).catch((error: unknown) => {
    if (!isErrno(error, 'EEXIST')) throw error;
  });
  const stats = await lstat(dir);
  if (stats.isSymbolicLink() || !stats.isDirectory()) throw new ShareKeyFileError(`${dir} is not a directory (a symbolic link?); refusing to use it`);
  if ((stats.mode & 0o077) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(3, '0');
    throw new ShareKeyFileError(`${dir} is accessible to other users (mode ${mode}); it holds the keys of server shares. Run: chmod 700 ${dir}`);
  }
  return dir;
}

/** The key of `epoch`, or null when its file does not exist (never made, or destroyed). */
export function readShareKey(dir: string, epoch: number): Uint8Array | null {
  const path = join(dir, String(epoch));
  let fd: number;
  try {
    // O_NOFOLLOW: a symlink planted in the folder must not redirect where keys are read from.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    if (isErrno(error, 'ELOOP')) throw new ShareKeyFileError(`${path} is a symbolic link; refusing to use it`);
    throw new ShareKeyFileError(`cannot open ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > MAX_FILE_BYTES) throw new ShareKeyFileError(`${path} is not a share key file`);
    if ((stats.mode & 0o077) !== 0) throw new ShareKeyFileError(`${path} is accessible to other users; run: chmod 600 ${path}`);
    return parseShareKey(path, epoch, readFileSync(fd, 'utf8'));
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the key file of `epoch` unless one exists. link() refuses to replace, so when several instances race
 * the first file wins and every instance then reads that one (the caller reads it back).
 */
export function createShareKey(dir: string, epoch: number): void {
  const path = join(dir, String(epoch));
  const temp = tempPathFor(path);
  const content = { format: FORMAT, epoch, day: dayOf(epoch), key: randomBytes(KEY_BYTES).toString('base64url') };
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(content, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, path);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
  } finally {
    // A temp file left behind would be a second copy of the key; deleteShareKey() sweeps any that survive a crash.
    try {
      unlinkSync(temp);
    } catch {
      // Already gone, or never made.
    }
  }
  syncDirectorySync(dir);
}

/** The epochs that have a key file, oldest first. */
export async function listShareKeyEpochs(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names.filter((n) => EPOCH_NAME.test(n)).map(Number).sort((a, b) => a - b);
}

/**
 * Deletes the key file of `epoch` and any temp file a crashed creation left for it (it may hold the same key),
 * durably. False when there was no key file.
 */
export async function deleteShareKey(dir: string, epoch: number): Promise<boolean> {
  let deleted = true;
  await unlink(join(dir, String(epoch))).catch((error: unknown) => {
    if (!isErrno(error, 'ENOENT')) throw error;
    deleted = false;
  });
  const leftovers = (await readdir(dir)).filter((n) => n.startsWith(`.${epoch}.`) && n.endsWith('.tmp'));
  for (const name of leftovers) await unlink(join(dir, name)).catch(() => undefined);
  await syncDirectory(dir);
  return deleted;
}

function parseShareKey(path: string, epoch: number, text: string): Uint8Array {
  let data: { format?: unknown; epoch?: unknown; key?: unknown };
  try {
    data = JSON.parse(text) as typeof data;
  } catch (error) {
    throw new ShareKeyFileError(`${path} is not valid JSON`, { cause: error });
  }
  if (data?.format !== FORMAT) throw new ShareKeyFileError(`${path} is not a ${FORMAT} file`);
  // A file copied or renamed to another epoch's name is refused: the name is what the database refers to.
  if (data.epoch !== epoch) throw new ShareKeyFileError(`${path} holds the key of epoch ${String(data.epoch)}, not ${epoch}`);
  const bytes = typeof data.key === 'string' && /^[A-Za-z0-9_-]{43}$/.test(data.key) ? Buffer.from(data.key, 'base64url') : null;
  if (bytes?.length !== KEY_BYTES) throw new ShareKeyFileError(`${path}: key is not a 32-byte base64url key`);
  return new Uint8Array(bytes);
}

function syncDirectorySync(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
