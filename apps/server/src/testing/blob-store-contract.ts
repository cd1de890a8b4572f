// The behaviour every BlobStore backend must show, as one suite each backend's test file runs against itself.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  BlobNotFoundError, BlobRangeError, BlobSizeMismatchError, newBlobKey, type BlobStore,
} from '../blobs/blob-store.js';

export interface BlobStoreFixture {
  readonly store: BlobStore;
  close(): Promise<void>;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `total` bytes in `chunkSize` chunks, made lazily, plus the SHA-256 of what was produced once it is consumed. */
function generated(total: number, chunkSize: number): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  async function* chunks() {
    for (let sent = 0; sent < total; sent += chunkSize) {
      const chunk = randomBytes(Math.min(chunkSize, total - sent));
      hash.update(chunk);
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), digest: () => hash.digest('hex') };
}

async function keysOf(store: BlobStore, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys;
}

export function blobStoreContract(name: string, open: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;
    before(async () => {
      fixture = await open();
      store = fixture.store;
    });
    after(async () => fixture?.close());

    it('makes 32-hex-character keys that do not repeat', () => {
      const keys = new Set(Array.from({ length: 1000 }, newBlobKey));
      assert.equal(keys.size, 1000);
      for (const key of keys) assert.match(key, /^[0-9a-f]{32}$/);
    });

    it('answers ping', async () => {
      await store.ping();
    });

    it('stores and returns an object, and reports its size', async () => {
      const key = newBlobKey();
      const data = randomBytes(100_000);
      await store.put(key, Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]), data.length);
      assert.deepEqual(await readAll(await store.get(key)), data);
      assert.deepEqual(await store.stat(key), { size: data.length });
    });

    it('stores an empty object', async () => {
      const key = newBlobKey();
      await store.put(key, Readable.from([]), 0);
      assert.equal((await readAll(await store.get(key))).length, 0);
      assert.deepEqual(await store.stat(key), { size: 0 });
    });

    it('returns inclusive byte ranges, clamping an end past the object', async () => {
      const key = newBlobKey();
      const data = randomBytes(1000);
      await store.put(key, Readable.from([data]), data.length);
      assert.deepEqual(await readAll(await store.get(key, { start: 0, end: 0 })), data.subarray(0, 1));
      assert.deepEqual(await readAll(await store.get(key, { start: 100, end: 199 })), data.subarray(100, 200));
      assert.deepEqual(await readAll(await store.get(key, { start: 900, end: 5000 })), data.subarray(900));
      await assert.rejects(store.get(key, { start: 1000, end: 1100 }), BlobRangeError);
      await assert.rejects(store.get(key, { start: 10, end: 5 }), RangeError);
    });

    it('reports missing objects as such', async () => {
      const key = newBlobKey();
      await assert.rejects(store.get(key), BlobNotFoundError);
      await assert.rejects(store.get(key, { start: 0, end: 10 }), BlobNotFoundError);
      assert.equal(await store.stat(key), null);
      await store.delete(key); // deleting twice is fine: purge may be retried
    });

    it('deletes objects so that nothing of them remains', async () => {
      const key = newBlobKey();
      await store.put(key, Readable.from([Buffer.from('to be purged')]), 12);
      assert.ok((await keysOf(store, key)).includes(key));
      await store.delete(key);
      assert.equal(await store.stat(key), null);
      await assert.rejects(store.get(key), BlobNotFoundError);
      assert.deepEqual(await keysOf(store, key), []);
    });

    it('refuses a stream shorter than announced and keeps nothing', async () => {
      const key = newBlobKey();
      await assert.rejects(store.put(key, Readable.from([randomBytes(99)]), 100), BlobSizeMismatchError);
      assert.equal(await store.stat(key), null);
      assert.deepEqual(await keysOf(store, key), []);
    });

    it('refuses a stream longer than announced and keeps nothing', async () => {
      const key = newBlobKey();
      await assert.rejects(store.put(key, Readable.from([randomBytes(60), randomBytes(60)]), 100), BlobSizeMismatchError);
      assert.equal(await store.stat(key), null);
    });

    it('keeps nothing when the source stream fails midway (a client that disconnects)', async () => {
      const key = newBlobKey();
      async function* failing() {
        yield randomBytes(64 * 1024);
        throw new Error('client went away');
      }
      await assert.rejects(store.put(key, Readable.from(failing()), 1024 * 1024), /client went away/);
      assert.equal(await store.stat(key), null);
    });

    it('lists keys by hex prefix, ignoring nothing of its own', async () => {
      const keys = [newBlobKey(), newBlobKey(), newBlobKey()];
      for (const key of keys) await store.put(key, Readable.from([Buffer.from(key)]), 32);
      const all = await keysOf(store);
      for (const key of keys) assert.ok(all.includes(key));
      const first = keys[0]!;
      assert.deepEqual(await keysOf(store, first.slice(0, 6)), all.filter((k) => k.startsWith(first.slice(0, 6))));
      assert.deepEqual(await keysOf(store, first.slice(0, 1)), all.filter((k) => k.startsWith(first.slice(0, 1))));
      assert.deepEqual(await keysOf(store, first), [first]);
    });

    it('refuses keys and prefixes that are not server-made, in every method', async () => {
      for (const bad of ['../../etc/passwd', 'A'.repeat(32), 'abc', '', `${newBlobKey()}/x`, 42]) {
        const key = bad as string;
        await assert.rejects(store.put(key, Readable.from([]), 0), TypeError);
        await assert.rejects(store.get(key), TypeError);
        await assert.rejects(store.delete(key), TypeError);
        await assert.rejects(store.stat(key), TypeError);
      }
      await assert.rejects(keysOf(store, '../'), TypeError);
      await assert.rejects(keysOf(store, 'ABC'), TypeError);
      await assert.rejects(store.put(newBlobKey(), Readable.from([]), -1), TypeError);
    });

    it('streams 64 MiB through put and get unchanged', async () => {
      const key = newBlobKey();
      const size = 64 * 1024 * 1024;
      const source = generated(size, 1024 * 1024);
      await store.put(key, source.stream, size);
      const hash = createHash('sha256');
      let received = 0;
      for await (const chunk of await store.get(key)) {
        hash.update(chunk as Buffer);
        received += (chunk as Buffer).length;
      }
      assert.equal(received, size);
      assert.equal(hash.digest('hex'), source.digest());
      assert.deepEqual(await store.stat(key), { size });
      await store.delete(key);
    });
  });
}
