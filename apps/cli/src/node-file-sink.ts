// FileSink into an output folder: bytes go to a hidden 0600 temporary file inside the folder, which gets its
// real (sanitised, unique) name only once the whole transfer verified. Nothing is ever created outside --out.
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { type FileHandle, link, lstat, open, readdir, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { type CreateSink, type FileSink, type ReceivedFileMeta, safeFileName, uniqueName } from '@valise/client';

export const TEMP_PREFIX = '.valise-';
export const TEMP_SUFFIX = '.part';

export interface SavedFile {
  index: number;
  /** The name given in the folder (after safeFileName and uniqueName). */
  name: string;
  path: string;
  size: number;
  type: string;
}

export interface FolderSinks {
  createSink: CreateSink;
  /** Files committed so far, in commit order. */
  readonly saved: SavedFile[];
  /** Synchronously removes every temporary file still present (for process exit paths). */
  cleanupSync(): void;
}

/** The real, absolute output folder; it must exist and be a folder. */
export async function resolveOutputDir(dir: string): Promise<string> {
  const real = await realpath(resolve(dir));
  if (!(await lstat(real)).isDirectory()) throw new Error(`${dir} is not a folder`);
  return real;
}

/** Throws unless `path` is a direct child of `dir` (both absolute and normalised). */
export function assertDirectChild(dir: string, path: string): void {
  const rel = relative(dir, path);
  if (rel === '' || rel.startsWith('..') || rel.includes(sep) || rel.includes('/') || dirname(path) !== dir) {
    throw new Error('refusing to write outside the output folder');
  }
}

export function createFolderSinks(outDir: string): FolderSinks {
  const temps = new Set<string>();
  let taken: Set<string> | undefined; // names in the folder, listed at the first commit, plus those given since
  const saved: SavedFile[] = [];

  async function createSink(meta: ReceivedFileMeta): Promise<FileSink> {
    const temp = join(outDir, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}${TEMP_SUFFIX}`);
    assertDirectChild(outDir, temp);
    const handle: FileHandle = await open(temp, 'wx', 0o600);
    temps.add(temp);
    let state: 'open' | 'closed' | 'committed' | 'aborted' = 'open';
    let written = 0;
    const flusher = new BackgroundFlush(handle);
    const close = async () => {
      if (state !== 'open') return;
      if (written !== meta.size) throw new Error('internal error: a file was closed before all of it was written');
      await flusher.settle();
      await handle.sync();
      await handle.close();
      state = 'closed';
    };

    return {
      async write(bytes) {
        let offset = 0;
        while (offset < bytes.length) {
          const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
          offset += bytesWritten;
        }
        written += bytes.length;
        flusher.wrote(bytes.length);
      },
      close,
      async commit() {
        await close();
        if (state !== 'closed') return;
        taken ??= new Set(await readdir(outDir));
        const finalPath = await placeWithoutOverwriting(outDir, temp, safeFileName(meta.name), taken);
        temps.delete(temp);
        state = 'committed';
        saved.push({ index: meta.index, name: basename(finalPath), path: finalPath, size: meta.size, type: meta.type });
      },
      async abort() {
        if (state === 'committed' || state === 'aborted') return; // a committed file is complete and verified: it stays
        if (state === 'open') {
          await flusher.settle().catch(() => undefined);
          await handle.close().catch(() => undefined);
        }
        state = 'aborted';
        await unlink(temp).catch(() => undefined);
        temps.delete(temp);
      },
    };
  }

  return {
    createSink,
    saved,
    cleanupSync() {
      for (const temp of temps) {
        try {
          unlinkSync(temp);
        } catch {
          // already gone
        }
      }
      temps.clear();
    },
  };
}

/** Bytes written between two background flushes. */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * Flushes a file being written in the background, every FLUSH_EVERY_BYTES, one flush at a time. The kernel would
 * otherwise keep a whole received gigabyte in dirty pages and write it all during the final fsync, seconds at the
 * end of a download; flushing as it goes overlaps that writing with the download. A failed flush is reported by
 * `settle`, and the final fsync runs anyway.
 */
class BackgroundFlush {
  readonly #handle: FileHandle;
  #sinceFlush = 0;
  #running: Promise<void> | undefined;
  #failure: unknown;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  wrote(bytes: number): void {
    this.#sinceFlush += bytes;
    if (this.#sinceFlush < FLUSH_EVERY_BYTES || this.#running) return;
    this.#sinceFlush = 0;
    this.#running = this.#handle.datasync().then(
      () => { this.#running = undefined; },
      (error: unknown) => { this.#failure ??= error; this.#running = undefined; },
    );
  }

  /** Waits for the flush in progress; throws if any flush failed. */
  async settle(): Promise<void> {
    await this.#running;
    if (this.#failure !== undefined) throw this.#failure;
  }
}

/**
 * Gives the temporary file its final name, never replacing an existing file: a hard link fails with EEXIST
 * atomically (then the next " (n)" name is tried). Where hard links are not supported, falls back to a
 * checked rename.
 */
async function placeWithoutOverwriting(outDir: string, temp: string, safeName: string, taken: Set<string>): Promise<string> {
  // The folder is listed once per transfer (see createFolderSinks); names appearing later are caught by EEXIST.
  for (let tries = 0; tries < 10_000; tries++) {
    const name = uniqueName(taken, safeName);
    taken.add(name);
    const finalPath = resolve(outDir, name);
    assertDirectChild(outDir, finalPath);
    try {
      await link(temp, finalPath);
      await unlink(temp);
      return finalPath;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw e;
    }
    // No hard links here (some network and FAT file systems): check, then rename.
    const exists = await lstat(finalPath).then(() => true, (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    });
    if (exists) continue;
    await rename(temp, finalPath);
    return finalPath;
  }
  throw new Error('could not find a free file name in the output folder');
}
