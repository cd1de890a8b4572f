// FileSinks into a folder the person chose (File System Access API): bytes stream to disk as they are decrypted,
// so a file of any size never sits in memory. A writable keeps its data in a swap file that takes the real name
// only on close(), and no file is closed before every file of the transfer verified: a failure leaves nothing
// but the empty placeholders, which abort removes. Names are made safe and never replace an existing file.
import { type CreateSink, type FileSink, safeFileName, uniqueName } from '@valise/client';

export interface SavedInFolder {
  name: string;
  size: number;
}

export async function createFolderSinks(folder: FileSystemDirectoryHandle): Promise<{ createSink: CreateSink; saved: SavedInFolder[] }> {
  const taken = new Set<string>();
  for await (const name of (folder as unknown as { keys(): AsyncIterable<string> }).keys()) taken.add(name);
  const saved: SavedInFolder[] = [];
  const createSink: CreateSink = async (meta): Promise<FileSink> => {
    const name = uniqueName(taken, safeFileName(meta.name));
    taken.add(name);
    const handle = await folder.getFileHandle(name, { create: true });
    const writable = await handle.createWritable({ keepExistingData: false });
    let state: 'open' | 'committed' | 'aborted' = 'open';
    return {
      async write(bytes) {
        await writable.write(bytes as Uint8Array<ArrayBuffer>);
      },
      async commit() {
        if (state !== 'open') return;
        await writable.close();
        state = 'committed';
        saved.push({ name, size: meta.size });
      },
      async abort() {
        if (state !== 'open') return;
        state = 'aborted';
        await writable.abort().catch(() => undefined);
        await folder.removeEntry(name).catch(() => undefined);
      },
    };
  };
  return { createSink, saved };
}
