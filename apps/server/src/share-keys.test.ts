// Tests of the day keys of server shares on real files: one per UTC day, made on first need, shared by instances
// on one folder (also when they race), destroyed for everyone, and refused when damaged rather than replaced.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SHARE_KEYS_DIR, ShareKeyFileError } from './share-key-files.js';
import { DAY_MS, SHARE_KEY_CACHE_MS, ShareKeyGoneError, ShareKeyStore, epochEnd, epochOf } from './share-keys.js';
import { ManualClock } from './testing/manual-clock.js';

const hex = (key: Uint8Array) => Buffer.from(key).toString('hex');

describe('share keys', () => {
  let dataDir: string;
  let clock: ManualClock;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'valise-share-keys-'));
    clock = new ManualClock(Date.UTC(2031, 0, 10, 23, 59, 59, 999));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('numbers epochs by UTC day', () => {
    assert.equal(epochOf(0), 0);
    assert.equal(epochOf(DAY_MS - 1), 0);
    assert.equal(epochOf(DAY_MS), 1);
    assert.equal(epochOf(Date.UTC(2031, 0, 10, 23, 59, 59, 999)), Date.UTC(2031, 0, 10) / DAY_MS);
    assert.equal(epochEnd(epochOf(Date.UTC(2031, 0, 10, 5))), Date.UTC(2031, 0, 11));
  });

  it('makes one key per day on first need: a 0600 file named by the epoch, another key the next day', async () => {
    const store = await ShareKeyStore.open(dataDir, clock);
    assert.deepEqual(await store.epochs(), []);
    const first = store.current();
    assert.equal(first.epoch, Date.UTC(2031, 0, 10) / DAY_MS);
    assert.equal(first.key.length, 32);
    assert.equal(hex(store.current().key), hex(first.key), 'the same key all day');
    const path = join(dataDir, SHARE_KEYS_DIR, String(first.epoch));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const file = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(file, { format: 'valise-share-key-v1', epoch: first.epoch, day: '2031-01-10', key: Buffer.from(first.key).toString('base64url') });
    clock.advance(1); // midnight UTC
    const second = store.current();
    assert.equal(second.epoch, first.epoch + 1);
    assert.notEqual(hex(second.key), hex(first.key));
    assert.deepEqual(await store.epochs(), [first.epoch, second.epoch]);
    assert.equal(hex(store.key(first.epoch)), hex(first.key), 'yesterday\'s key still opens yesterday\'s shares');
    assert.deepEqual((await readdir(join(dataDir, SHARE_KEYS_DIR))).filter((n) => n.endsWith('.tmp')), []);
  });

  it('lets a second instance on the same folder read the key the first made, and make none of its own', async () => {
    const a = await ShareKeyStore.open(dataDir, clock);
    const b = await ShareKeyStore.open(dataDir, clock);
    assert.throws(() => b.key(epochOf(clock.now())), ShareKeyGoneError, 'nothing made yet');
    const made = a.current();
    assert.equal(hex(b.key(made.epoch)), hex(made.key), 'b sees it at once, even after a miss');
    assert.deepEqual(b.current(), made);
    assert.deepEqual(await a.epochs(), [made.epoch]);
  });

  it('gives instances racing to make the same day\'s key (threads, real files) one key', async () => {
    const moduleUrl = new URL('./share-keys.js', import.meta.url).href;
    // Each thread makes the keys of 20 days in a row; released together, they race on each day.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.moduleUrl).then(async ({ ShareKeyStore }) => {
        let now = workerData.start;
        const store = await ShareKeyStore.open(workerData.dataDir, { now: () => now });
        Atomics.wait(new Int32Array(workerData.gate), 0, 0);
        const keys = [];
        for (let day = 0; day < 20; day++, now += ${DAY_MS}) keys.push(Buffer.from(store.current().key).toString('hex'));
        parentPort.postMessage(keys);
      });`;
    const gate = new SharedArrayBuffer(4);
    const workers = Array.from({ length: 8 }, () => new Worker(code, { eval: true, workerData: { moduleUrl, dataDir, start: clock.now(), gate } }));
    const results = workers.map((w) => new Promise<string[]>((resolve, reject) => w.once('message', resolve).once('error', reject)));
    await new Promise((resolve) => setTimeout(resolve, 300)); // all waiting at the gate
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    const made = await Promise.all(results);
    await Promise.all(workers.map((w) => w.terminate()));
    const store = await ShareKeyStore.open(dataDir, clock);
    for (let day = 0; day < 20; day++) {
      assert.equal(new Set(made.map((keys) => keys[day])).size, 1, `day ${day}: every thread got the same key`);
      assert.equal(hex(store.key(epochOf(clock.now()) + day)), made[0]![day], 'the key on disk');
    }
    assert.equal((await readdir(join(dataDir, SHARE_KEYS_DIR))).length, 20, 'one file a day, no temp file left');
  });

  it('destroys a key for the destroying instance at once, for the others within the cache period', async () => {
    const a = await ShareKeyStore.open(dataDir, clock);
    const b = await ShareKeyStore.open(dataDir, clock);
    const { epoch, key } = a.current();
    assert.equal(hex(b.key(epoch)), hex(key)); // b caches it
    assert.equal(await a.destroy(epoch), true);
    assert.deepEqual(a.cachedEpochs(), []);
    assert.equal(await a.destroy(epoch), false, 'already gone');
    assert.throws(() => a.key(epoch), (error: unknown) => error instanceof ShareKeyGoneError && error.epoch === epoch && /epoch \d+ \(2031-01-10\) is gone/.test(error.message));
    assert.equal(hex(b.key(epoch)), hex(key), 'b still holds it from its cache');
    clock.advance(SHARE_KEY_CACHE_MS);
    assert.throws(() => b.key(epoch), ShareKeyGoneError);
    assert.deepEqual(await a.epochs(), []);
  });

  it('forgets stale keys even when nobody asks for them again', async () => {
    const a = await ShareKeyStore.open(dataDir, clock);
    const b = await ShareKeyStore.open(dataDir, clock);
    const { epoch } = a.current();
    b.key(epoch);
    await a.destroy(epoch);
    assert.deepEqual(a.cachedEpochs(), [], 'the destroying instance holds it no more');
    clock.advance(SHARE_KEY_CACHE_MS - 1);
    b.forgetStale();
    assert.deepEqual(b.cachedEpochs(), [epoch], 'within the cache period');
    clock.advance(1);
    b.forgetStale();
    assert.deepEqual(b.cachedEpochs(), []);
  });

  it('removes a temp file a crashed creation left, together with the key it belongs to', async () => {
    const store = await ShareKeyStore.open(dataDir, clock);
    const { epoch } = store.current();
    const dir = join(dataDir, SHARE_KEYS_DIR);
    const leftover = join(dir, `.${epoch}.0123456789abcdef.tmp`);
    const other = join(dir, `.${epoch + 1}.0123456789abcdef.tmp`);
    await writeFile(leftover, 'a copy of the key', { mode: 0o600 });
    await writeFile(other, 'another day', { mode: 0o600 });
    await store.destroy(epoch);
    assert.deepEqual(await readdir(dir), [`.${epoch + 1}.0123456789abcdef.tmp`]);
  });

  it('refuses a damaged, moved, exposed or symlinked key file rather than making a new key', async () => {
    const store = await ShareKeyStore.open(dataDir, clock);
    const { epoch } = store.current();
    const dir = join(dataDir, SHARE_KEYS_DIR);
    const path = join(dir, String(epoch));
    const original = await readFile(path, 'utf8');
    await writeFile(path, '{ not json');
    const s1 = await ShareKeyStore.open(dataDir, clock);
    assert.throws(() => s1.current(), (e: unknown) => e instanceof ShareKeyFileError && /not valid JSON/.test(e.message));
    await writeFile(path, original.replace(`"epoch": ${epoch}`, `"epoch": ${epoch - 1}`));
    assert.throws(() => s1.key(epoch), /holds the key of epoch \d+, not \d+/);
    await writeFile(path, original);
    await chmod(path, 0o640);
    assert.throws(() => s1.key(epoch), /accessible to other users/);
    await rm(path);
    await writeFile(join(dataDir, 'elsewhere'), original, { mode: 0o600 });
    await symlink(join(dataDir, 'elsewhere'), path);
    assert.throws(() => s1.current(), /symbolic link/);
    assert.equal(await readFile(join(dataDir, 'elsewhere'), 'utf8'), original, 'nothing written through the link');
  });

  it('refuses a share-keys folder open to others, or a symbolic link in its place', async () => {
    await ShareKeyStore.open(dataDir, clock);
    const dir = join(dataDir, SHARE_KEYS_DIR);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    await chmod(dir, 0o750);
    await assert.rejects(ShareKeyStore.open(dataDir, clock), /accessible to other users \(mode 750\).*chmod 700/);
    await rm(dir, { recursive: true });
    const elsewhere = await mkdtemp(join(tmpdir(), 'valise-share-keys-elsewhere-'));
    try {
      await chmod(elsewhere, 0o700);
      await symlink(elsewhere, dir);
      await assert.rejects(ShareKeyStore.open(dataDir, clock), /not a directory \(a symbolic link\?\)/);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
