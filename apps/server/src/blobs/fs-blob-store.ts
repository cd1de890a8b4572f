// Blob storage on the local file system: DATA_DIR/blobs/<first 2 hex chars>/<key>, written via temp file + rename.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isErrno, syncDirectory } from '../atomic-file.js';
import {
  BlobNotFoundError, BlobRangeError, KEY_PATTERN, assertBlobKey, assertBlobPrefix, assertRange, assertSize,
  type BlobStore, type ByteRange,
} from './blob-store.js';
import { sizeGuard } from './size-guard.js';

export class FsBlobStore implements BlobStore {
  readonly root: string;
  readonly #tempDir: string;

  private constructor(root: string) {
    this.root = root;
    this.#tempDir = join(root, 'tmp');
  }

  static async open(root: string): Promise<FsBlobStore> {
    // Temp files live under the same root so the final rename never crosses file systems (rename is atomic only
    // within one).
    await mkdir(join(root, 'tmp'), { recursive: true, mode: 0o700 });
    return new FsBlobStore(root);
  }

  async put(key: string, stream: Readable, size: number): Promise<void> {
    assertBlobKey(key);
    assertSize(size);
    const temp = join(this.#tempDir, `${key}.${randomBytes(6).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await pipeline(stream, sizeGuard(key, size), async (source: AsyncIterable<Buffer>) => {
        // Socket chunks are small (16–64 KiB): gather them so each write (a thread-pool round trip) moves ~256 KiB.
        const batch = new WriteBatch(handle);
        for await (const chunk of source) await batch.add(chunk);
        await batch.flush();
        await batch.settle();
      });
      // Data on disk before the name: after a crash the key holds all of it or does not exist.
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    const dir = join(this.root, key.slice(0, 2));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rename(temp, join(dir, key));
    await syncDirectory(dir);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertBlobKey(key);
    assertRange(range);
    let handle;
    try {
      handle = await open(this.#path(key), 'r');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new BlobNotFoundError(key);
      throw error;
    }
    if (range === undefined) return handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
    const { size } = await handle.stat();
    if (range.start >= size) {
      await handle.close();
      throw new BlobRangeError(key);
    }
    // The stream closes the handle when it ends or is destroyed.
    return handle.createReadStream({ start: range.start, end: Math.min(range.end, size - 1), highWaterMark: READ_CHUNK_BYTES });
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    try {
      await unlink(this.#path(key));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return;
      throw error;
    }
    // Purge promises the object is gone: make the removal itself durable.
    await syncDirectory(join(this.root, key.slice(0, 2)));
  }

  async stat(key: string): Promise<{ size: number } | null> {
    assertBlobKey(key);
    try {
      return { size: (await stat(this.#path(key))).size };
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null;
      throw error;
    }
  }

  async *list(prefix = ''): AsyncIterable<string> {
    assertBlobPrefix(prefix);
    const fanouts =
      prefix.length >= 2
        ? [prefix.slice(0, 2)]
        : (await readdir(this.root)).filter((name) => /^[0-9a-f]{2}$/.test(name) && name.startsWith(prefix)).sort();
    for (const fanout of fanouts) {
      let names: string[];
      try {
        names = await readdir(join(this.root, fanout));
      } catch (error) {
        if (isErrno(error, 'ENOENT')) continue;
        throw error;
      }
      for (const name of names.sort()) {
        if (KEY_PATTERN.test(name) && name.startsWith(prefix)) yield name;
      }
    }
  }

  async ping(): Promise<void> {
    await access(this.#tempDir, constants.W_OK);
  }

  async close(): Promise<void> {}

  #path(key: string): string {
    return join(this.root, key.slice(0, 2), key);
  }
}

/** Blobs are read in chunks of this size: a part (8 MiB) in 64 reads, each a thread-pool round trip, rather than 128. */
const READ_CHUNK_BYTES = 128 * 1024;

/** Chunks gathered up to WRITE_BATCH_BYTES (at most 256 of them: IOV_MAX is 1024), then written with one writev. */
const WRITE_BATCH_BYTES = 256 * 1024;

/** Written bytes after which a background sync starts (see WriteBatch). */
const BACKGROUND_SYNC_BYTES = 2 * 1024 * 1024;

class WriteBatch {
  readonly #handle: FileHandle;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #sinceSync = 0;
  #syncing: Promise<void> | undefined;
  #syncFailure: unknown;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async add(chunk: Buffer): Promise<void> {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    if (this.#bytes >= WRITE_BATCH_BYTES || this.#chunks.length >= 256) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#bytes === 0) return;
    const chunks = this.#chunks;
    const total = this.#bytes;
    this.#chunks = [];
    this.#bytes = 0;
    // One writev, no copy; a short write (rare on files) finishes with plain writes.
    const { bytesWritten } = await this.#handle.writev(chunks);
    if (bytesWritten < total) await writeFully(this.#handle, Buffer.concat(chunks).subarray(bytesWritten));
    this.#syncInBackground(total);
  }

  /** Waits for the background sync in progress; throws if one failed. */
  async settle(): Promise<void> {
    await this.#syncing;
    if (this.#syncFailure !== undefined) throw this.#syncFailure;
  }

  /**
   * Starts writing what is written so far to the disk while the rest of the part arrives, one sync at a time:
   * the final fsync then flushes only the tail, instead of the whole part after the last byte (a third of a
   * part's time on a busy disk, measured).
   */
  #syncInBackground(bytes: number): void {
    this.#sinceSync += bytes;
    if (this.#sinceSync < BACKGROUND_SYNC_BYTES || this.#syncing) return;
    this.#sinceSync = 0;
    this.#syncing = this.#handle.datasync().then(
      () => { this.#syncing = undefined; },
      (error: unknown) => { this.#syncFailure ??= error; this.#syncing = undefined; },
    );
  }
}

async function writeFully(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
  }
}
