// Tests of the keystore: creation, permissions, reloads, concurrent first starts, damage.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { KEYSTORE_FILE, KeystoreError, openKeystore, type Keystore } from './keystore.js';
import { SHARE_KEYS_DIR } from './share-key-files.js';
import { ManualClock } from './testing/manual-clock.js';

const fileKeys = (k: Keystore) => ({ sessionKey: k.sessionKey, totpKey: k.totpKey });

describe('keystore', () => {
  let root: string;
  let dataDir: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'valise-keystore-'));
    dataDir = join(root, 'data');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is created at first start: 0600 file and 0700 share-keys folder in a 0700 folder, 32-byte distinct keys', async () => {
    const clock = new ManualClock(Date.UTC(2031, 4, 6, 12));
    const keystore = await openKeystore(dataDir, clock);
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dataDir, KEYSTORE_FILE))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dataDir, SHARE_KEYS_DIR))).mode & 0o777, 0o700);
    assert.equal(keystore.sessionKey.length, 32);
    assert.equal(keystore.totpKey.length, 32);
    assert.deepEqual(await keystore.shareKeys.epochs(), [], 'no share key before one is needed');
    const { epoch, key } = keystore.shareKeys.current();
    assert.equal(epoch, Date.UTC(2031, 4, 6) / 86_400_000, 'the UTC day of the clock');
    const hex = new Set([keystore.sessionKey, keystore.totpKey, key].map((k) => Buffer.from(k).toString('hex')));
    assert.equal(hex.size, 3);
    const file = JSON.parse(await readFile(join(dataDir, KEYSTORE_FILE), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(file).sort(), ['createdAt', 'format', 'sessionKey', 'totpKey'], 'no share key in keystore.json');
    assert.deepEqual((await readdir(dataDir)).filter((n) => n.endsWith('.tmp')), []); // no temp file left
  });

  it('gives the same keys when reloaded', async () => {
    const first = await openKeystore(dataDir);
    const again = await openKeystore(dataDir);
    assert.deepEqual(fileKeys(again), fileKeys(first));
    assert.deepEqual(again.shareKeys.key(first.shareKeys.current().epoch), first.shareKeys.current().key);
  });

  it('gives every concurrent first start the same keys', async () => {
    const opened = await Promise.all(Array.from({ length: 8 }, () => openKeystore(dataDir)));
    for (const keystore of opened) assert.deepEqual(fileKeys(keystore), fileKeys(opened[0]!));
    assert.deepEqual(fileKeys(await openKeystore(dataDir)), fileKeys(opened[0]!));
  });

  it('refuses a keystore.json of the development format that held share keys', async () => {
    await openKeystore(dataDir);
    const path = join(dataDir, KEYSTORE_FILE);
    const v2 = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...v2, format: 'valise-keystore-v1', shareKeys: { 0: v2.totpKey } }));
    await assert.rejects(openKeystore(dataDir), /valise-keystore-v1 file from a development build/);
  });

  it('refuses to start when the file is readable or writable by others', async () => {
    await openKeystore(dataDir);
    const path = join(dataDir, KEYSTORE_FILE);
    for (const mode of [0o640, 0o604, 0o620, 0o644]) {
      await chmod(path, mode);
      await assert.rejects(openKeystore(dataDir), (error: unknown) => {
        assert.ok(error instanceof KeystoreError);
        assert.match(error.message, /accessible to other users/);
        assert.match(error.message, /chmod 600/);
        return true;
      });
    }
    await chmod(path, 0o600);
    await openKeystore(dataDir);
  });

  it('refuses a damaged file rather than making new keys', async () => {
    await openKeystore(dataDir);
    const path = join(dataDir, KEYSTORE_FILE);
    const original = await readFile(path, 'utf8');
    await writeFile(path, '{ not json');
    await assert.rejects(openKeystore(dataDir), KeystoreError);
    await writeFile(path, original.replace(/"sessionKey": "[^"]+"/, '"sessionKey": "c2hvcnQ"'));
    await assert.rejects(openKeystore(dataDir), /sessionKey is not a 32-byte/);
    await writeFile(path, original.replace(/"totpKey": "[^"]+"/, '"totpKey": 7'));
    await assert.rejects(openKeystore(dataDir), /totpKey is not a 32-byte/);
  });

  it('refuses a symbolic link in place of the file', async () => {
    await openKeystore(join(root, 'elsewhere'));
    await openKeystore(dataDir);
    await rm(join(dataDir, KEYSTORE_FILE));
    await symlink(join(root, 'elsewhere', KEYSTORE_FILE), join(dataDir, KEYSTORE_FILE));
    await assert.rejects(openKeystore(dataDir), /symbolic link/);
  });
});
