// Runs the BlobStore contract on the filesystem backend, plus its on-disk layout.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { blobStoreContract } from '../testing/blob-store-contract.js';
import { newBlobKey } from './blob-store.js';
import { createBlobStore } from './create-blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';

blobStoreContract('filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'valise-blobs-'));
  return { store: await FsBlobStore.open(join(dir, 'blobs')), close: () => rm(dir, { recursive: true, force: true }) };
});

describe('FsBlobStore on disk', () => {
  it('fans objects out by their first two characters, readable by the owner only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'valise-blobs-'));
    try {
      const store = await createBlobStore({ blobs: { kind: 'fs', dir: join(dir, 'blobs') } });
      assert.ok(store instanceof FsBlobStore);
      const key = newBlobKey();
      await store.put(key, Readable.from([Buffer.from('x')]), 1);
      const info = await stat(join(dir, 'blobs', key.slice(0, 2), key));
      assert.equal(info.size, 1);
      assert.equal(info.mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'blobs'))).mode & 0o777, 0o700);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves no temporary file behind after a failed write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'valise-blobs-'));
    try {
      const store = await FsBlobStore.open(dir);
      await assert.rejects(store.put(newBlobKey(), Readable.from([Buffer.alloc(10)]), 11));
      assert.deepEqual(await readdir(join(dir, 'tmp')), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
