// The server's own secrets in DATA_DIR/keystore.json (mode 0600): made at first start, never in the database or logs.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, syncDirectory, tempPathFor } from './atomic-file.js';

export const KEYSTORE_FILE = 'keystore.json';
const FORMAT = 'valise-keystore-v1';
const KEY_BYTES = 32;

export interface Keystore {
  /** HMAC key for hashing bearer tokens before they are stored (a DB dump then yields no usable token). */
  readonly sessionKey: Uint8Array;
  /** Encrypts TOTP secrets at rest. */
  readonly totpKey: Uint8Array;
  /** Epoch → key encrypting server shares (SS) at rest; old epochs are destroyed once nothing uses them. */
  readonly shareKeys: ReadonlyMap<number, Uint8Array>;
  /** The epoch new server shares are encrypted under (the highest one). */
  readonly currentShareEpoch: number;
}

export class KeystoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KeystoreError';
  }
}

interface KeystoreFile {
  format: typeof FORMAT;
  createdAt: string;
  sessionKey: string;
  totpKey: string;
  shareKeys: Record<string, string>;
}

/** Loads the keystore of `dataDir`, creating it (and the folder, 0700) on first start. */
export async function openKeystore(dataDir: string): Promise<Keystore> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, KEYSTORE_FILE);
  const existing = await readKeystoreFile(path);
  if (existing !== null) return existing;
  await createKeystoreFile(path, dataDir);
  const created = await readKeystoreFile(path);
  if (created === null) throw new KeystoreError(`${path} disappeared right after it was created`);
  return created;
}

async function createKeystoreFile(path: string, dataDir: string): Promise<void> {
  const content: KeystoreFile = {
    format: FORMAT,
    createdAt: new Date().toISOString(),
    sessionKey: randomKey(),
    totpKey: randomKey(),
    shareKeys: { '0': randomKey() },
  };
  const temp = tempPathFor(path);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(content, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // link() is a rename that refuses to replace: if two processes start together, the first file wins and
    // both go on with the same keys, instead of one silently holding keys that were overwritten.
    await link(temp, path);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
  } finally {
    await unlink(temp);
  }
  await syncDirectory(dataDir);
}

async function readKeystoreFile(path: string): Promise<Keystore | null> {
  let handle;
  try {
    // O_NOFOLLOW: a symlink planted in the data folder must not redirect where secrets are read from.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    if (isErrno(error, 'ELOOP')) throw new KeystoreError(`${path} is a symbolic link; refusing to use it`);
    throw new KeystoreError(`cannot open ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new KeystoreError(`${path} is not a regular file`);
    if ((stats.mode & 0o077) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(3, '0');
      throw new KeystoreError(
        `${path} is accessible to other users (mode ${mode}); it holds the server's secrets. ` +
          `Run: chmod 600 ${path}`,
      );
    }
    return parseKeystore(path, await handle.readFile('utf8'));
  } finally {
    await handle.close();
  }
}

function parseKeystore(path: string, text: string): Keystore {
  let data: Partial<KeystoreFile>;
  try {
    data = JSON.parse(text) as Partial<KeystoreFile>;
  } catch (error) {
    throw new KeystoreError(`${path} is not valid JSON`, { cause: error });
  }
  if (data?.format !== FORMAT) throw new KeystoreError(`${path} is not a ${FORMAT} file`);
  const key = (value: unknown, what: string): Uint8Array => {
    const bytes = typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value) ? Buffer.from(value, 'base64url') : null;
    if (bytes?.length !== KEY_BYTES) throw new KeystoreError(`${path}: ${what} is not a 32-byte base64url key`);
    return new Uint8Array(bytes);
  };
  const shareKeys = new Map<number, Uint8Array>();
  for (const [epoch, value] of Object.entries(data.shareKeys ?? {})) {
    if (!/^(0|[1-9]\d{0,8})$/.test(epoch)) throw new KeystoreError(`${path}: share key epoch "${epoch}" is not an integer`);
    shareKeys.set(Number(epoch), key(value, `shareKeys.${epoch}`));
  }
  if (shareKeys.size === 0) throw new KeystoreError(`${path} has no share key`);
  return Object.freeze({
    sessionKey: key(data.sessionKey, 'sessionKey'),
    totpKey: key(data.totpKey, 'totpKey'),
    shareKeys,
    currentShareEpoch: Math.max(...shareKeys.keys()),
  });
}

function randomKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}
