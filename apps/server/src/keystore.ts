// The server's own secrets, made at first start, never in the database or logs: the session and TOTP keys in
// DATA_DIR/keystore.json (mode 0600), and the day keys of server shares in DATA_DIR/share-keys/ (share-keys.ts).
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, syncDirectory, tempPathFor } from './atomic-file.js';
import { systemClock, type Clock } from './clock.js';
import { ShareKeyStore, type ShareKeys } from './share-keys.js';

export const KEYSTORE_FILE = 'keystore.json';
// v2: share keys left this file for one file per day (they are destroyed one by one; this file never changes).
const FORMAT = 'valise-keystore-v2';
const FORMAT_V1 = 'valise-keystore-v1';
const KEY_BYTES = 32;

export interface Keystore {
  /** HMAC key for hashing bearer tokens before they are stored (a DB dump then yields no usable token). */
  readonly sessionKey: Uint8Array;
  /** Encrypts TOTP secrets at rest. */
  readonly totpKey: Uint8Array;
  /** Day keys encrypting server shares (SS) at rest; old days are destroyed once nothing can need them. */
  readonly shareKeys: ShareKeys;
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
}

type FileKeys = Pick<Keystore, 'sessionKey' | 'totpKey'>;

/**
 * Loads the keystore of `dataDir`, creating it (and the folder, 0700) on first start. `clock` says which day's
 * share key new server shares are sealed under.
 */
export async function openKeystore(dataDir: string, clock: Clock = systemClock): Promise<Keystore> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, KEYSTORE_FILE);
  let keys = await readKeystoreFile(path);
  if (keys === null) {
    await createKeystoreFile(path, dataDir);
    keys = await readKeystoreFile(path);
    if (keys === null) throw new KeystoreError(`${path} disappeared right after it was created`);
  }
  return Object.freeze({ ...keys, shareKeys: await ShareKeyStore.open(dataDir, clock) });
}

async function createKeystoreFile(path: string, dataDir: string): Promise<void> {
  const content: KeystoreFile = {
    format: FORMAT,
    createdAt: new Date().toISOString(),
    sessionKey: randomKey(),
    totpKey: randomKey(),
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

async function readKeystoreFile(path: string): Promise<FileKeys | null> {
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

function parseKeystore(path: string, text: string): FileKeys {
  let data: Partial<KeystoreFile>;
  try {
    data = JSON.parse(text) as Partial<KeystoreFile>;
  } catch (error) {
    throw new KeystoreError(`${path} is not valid JSON`, { cause: error });
  }
  if ((data?.format as string | undefined) === FORMAT_V1) {
    // Only development builds wrote v1. Its share keys would never be destroyed, so it is refused, not half-read.
    throw new KeystoreError(`${path} is a ${FORMAT_V1} file from a development build (share keys inside); this server reads ${FORMAT}. Start with a new data folder.`);
  }
  if (data?.format !== FORMAT) throw new KeystoreError(`${path} is not a ${FORMAT} file`);
  const key = (value: unknown, what: string): Uint8Array => {
    const bytes = typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value) ? Buffer.from(value, 'base64url') : null;
    if (bytes?.length !== KEY_BYTES) throw new KeystoreError(`${path}: ${what} is not a 32-byte base64url key`);
    return new Uint8Array(bytes);
  };
  return { sessionKey: key(data.sessionKey, 'sessionKey'), totpKey: key(data.totpKey, 'totpKey') };
}

function randomKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}
