// Runs the BlobStore contract on the S3 backend against a real s3rver process.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { blobStoreContract } from '../testing/blob-store-contract.js';
import { startS3rver } from '../testing/s3rver-process.js';
import { newBlobKey } from './blob-store.js';
import { createBlobStore } from './create-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

blobStoreContract('S3 (s3rver)', async () => {
  const s3 = await startS3rver();
  const store = new S3BlobStore(s3);
  return {
    store,
    async close() {
      await store.close();
      await s3.stop();
    },
  };
});

describe('S3BlobStore', () => {
  it('is what the factory makes for an S3 configuration, and fails ping for a missing bucket', async () => {
    const s3 = await startS3rver();
    try {
      const store = await createBlobStore({ blobs: { kind: 's3', ...s3 } });
      assert.ok(store instanceof S3BlobStore);
      const key = newBlobKey();
      await store.put(key, Readable.from([Buffer.from('hello')]), 5);
      assert.deepEqual(await store.stat(key), { size: 5 });
      await store.close();
      const missing = new S3BlobStore({ ...s3, bucket: 'no-such-bucket' });
      await assert.rejects(missing.ping());
      await missing.close();
    } finally {
      await s3.stop();
    }
  });
});
