// FileSource over a file on disk: random access through one open handle; refuses to go on if the file changes.
import { type FileHandle, open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FileSource } from '@valise/client';
import { CliError, EXIT } from './exit-codes.js';
import { mimeTypeOf } from './mime.js';

export interface NodeFileSource extends FileSource {
  readonly path: string;
  close(): Promise<void>;
}

/** Opens a regular file for sending. The name sent is the base name only (never the folder). */
export async function openFileSource(path: string): Promise<NodeFileSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a folder, not a file' : 'cannot be opened';
    throw new CliError(EXIT.usage, `${path}: ${why}`, { cause: e });
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new CliError(EXIT.usage, `${path}: not a regular file`);
  }
  const name = basename(path);
  return {
    path,
    name,
    type: mimeTypeOf(path),
    size: stat.size,
    lastModified: Math.trunc(stat.mtimeMs),
    async readRange(start, end) {
      return readInto(start, end, new Uint8Array(end - start));
    },
    async readRangeInto(start, end, into) {
      return readInto(start, end, into.subarray(0, end - start));
    },
    close: () => handle.close(),
  };

  async function readInto(start: number, end: number, out: Uint8Array): Promise<Uint8Array> {
    const now = await handle.stat();
    if (now.size !== stat.size || now.mtimeMs !== stat.mtimeMs) {
      throw new CliError(EXIT.unexpected, `${path}: the file changed while it was being sent; send it again`);
    }
    if (out.length !== end - start) throw new RangeError('the buffer is too small for the range');
    let filled = 0;
    while (filled < out.length) {
      const { bytesRead } = await handle.read(out, filled, out.length - filled, start + filled);
      if (bytesRead === 0) break; // shorter than expected: the engine reports the change
      filled += bytesRead;
    }
    return filled === out.length ? out : out.subarray(0, filled);
  }
}
