// Downloads, verifies and decrypts an opened transfer off the page's thread: into a folder the person chose
// (streamed to disk), or else as one Blob per file, assembled from one Blob per part so the browser can keep large
// files out of the page's memory (and on disk). Either way nothing is usable before every file verified.
/// <reference lib="webworker" />
import { type FileSink, type OpenedTransfer, ValiseApi, downloadTransfer } from '@valise/client';
import type { Manifest } from '@valise/crypto';
import { createFolderSinks } from './folder-sinks.js';
import { type DownloadEvent, type DownloadRequest, type ReceivedFile, describeFailure } from './messages.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: DownloadEvent) => scope.postMessage(event);

scope.onmessage = async ({ data }: MessageEvent<DownloadRequest>) => {
  const files: ReceivedFile[] = [];
  const opened: OpenedTransfer = {
    serverUrl: data.serverUrl,
    transferId: data.transferId,
    grantToken: data.grantToken,
    grantExpiresAt: data.grantExpiresAt,
    transferExpiresAt: data.transferExpiresAt,
    manifest: data.manifest as Manifest,
    api: new ValiseApi({ serverUrl: data.serverUrl }),
  };
  try {
    if (data.folder) {
      const sinks = await createFolderSinks(data.folder);
      await downloadTransfer(opened, { createSink: sinks.createSink, prefetch: 2, onProgress: (progress) => post({ kind: 'progress', progress }) });
      post({ kind: 'saved', files: sinks.saved });
      return;
    }
    await downloadTransfer(opened, {
      createSink: (meta): FileSink => {
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
      },
      prefetch: 2, // three parts downloading at once: the browser fetches in parallel much faster
      onProgress: (progress) => post({ kind: 'progress', progress }),
    });
    post({ kind: 'done', files });
  } catch (error) {
    post({ kind: 'failed', failure: describeFailure(error) });
  }
};
