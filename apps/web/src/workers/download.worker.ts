// Downloads, verifies and decrypts an opened transfer off the page's thread: into a folder the person chose, or into
// the browser's downloads through the save service worker (both streamed to disk), or else as one Blob per file,
// assembled from one Blob per part so the browser can keep large files out of the page's memory (and on disk).
// Whichever way, nothing is usable before every file verified.
/// <reference lib="webworker" />
import { type CreateSink, type FileSink, type OpenedTransfer, ValiseApi, downloadTransfer, safeFileName } from '@valise/client';
import type { Manifest } from '@valise/crypto';
import { createFolderSinks } from './folder-sinks.js';
import { openerPoolIfWorthIt } from './part-pools.js';
import { type DownloadEvent, type DownloadRequest, type ReceivedFile, type StreamPortMessage, describeFailure } from './messages.js';
import { SaveStoppedError, streamSink } from './stream-sinks.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: DownloadEvent) => scope.postMessage(event);
/** Ports the page sends for the streamed files, by file index. */
const portWaiters = new Map<number, (port: MessagePort | null) => void>();

scope.onmessage = ({ data }: MessageEvent<DownloadRequest | StreamPortMessage>) => {
  if ('kind' in data) portWaiters.get(data.index)?.(data.port);
  else void receive(data);
};

async function receive(data: DownloadRequest): Promise<void> {
  const opened: OpenedTransfer = {
    serverUrl: data.serverUrl,
    transferId: data.transferId,
    grantToken: data.grantToken,
    grantExpiresAt: data.grantExpiresAt,
    transferExpiresAt: data.transferExpiresAt,
    manifest: data.manifest as Manifest,
    api: new ValiseApi({ serverUrl: data.serverUrl }),
  };
  const openers = openerPoolIfWorthIt();
  const download = (createSink: CreateSink) => downloadTransfer(opened, {
    createSink,
    prefetch: 2, // three parts downloading at once: the browser fetches in parallel much faster
    openPart: openers ? (part) => openers.open(part) : undefined, // verified and decrypted on several threads
    onProgress: (progress) => post({ kind: 'progress', progress }),
  });
  try {
    const { saveTo } = data;
    if (saveTo.kind === 'folder') {
      const sinks = await createFolderSinks(saveTo.folder);
      await download(sinks.createSink);
      post({ kind: 'saved', where: 'folder', files: sinks.saved });
    } else if (saveTo.kind === 'stream') {
      await download(async (meta) => streamSink(await portFor(meta.index, meta.name, meta.size)));
      post({ kind: 'saved', where: 'downloads', files: opened.manifest.files.map((f) => ({ name: safeFileName(f.name), size: f.size })) });
    } else {
      const files: ReceivedFile[] = [];
      await download((meta) => blobSink(meta, files));
      post({ kind: 'done', files });
    }
  } catch (error) {
    post({ kind: 'failed', failure: describeFailure(error) });
  } finally {
    openers?.terminate();
  }
}

function portFor(index: number, name: string, size: number): Promise<MessagePort> {
  return new Promise((resolve, reject) => {
    portWaiters.set(index, (port) => {
      portWaiters.delete(index);
      if (port) resolve(port);
      else reject(new SaveStoppedError('the browser could not begin the download'));
    });
    post({ kind: 'open-stream', index, name, size });
  });
}

function blobSink(meta: { name: string; type: string; size: number }, files: ReceivedFile[]): FileSink {
  const parts: Blob[] = [];
  return {
    async write(bytes) {
      parts.push(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    },
    async commit() {
      files.push({ name: meta.name, type: meta.type, size: meta.size, blob: new Blob(parts, { type: 'application/octet-stream' }) });
    },
    async abort() {
      parts.length = 0;
    },
  };
}
