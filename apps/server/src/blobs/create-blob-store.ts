// Chooses the blob storage backend from configuration: the one place that knows both exist.
import type { BlobsConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

export async function createBlobStore(
  config: { readonly blobs: BlobsConfig },
  options: { readonly logger?: Logger } = {},
): Promise<BlobStore> {
  return config.blobs.kind === 'fs'
    ? FsBlobStore.open(config.blobs.dir)
    : new S3BlobStore({ ...config.blobs, ...(options.logger ? { logger: options.logger } : {}) });
}
