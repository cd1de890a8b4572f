// What the page and its workers say to each other. Errors cross as data (an Error's class does not survive
// postMessage) and are rebuilt on the page side, so they are worded like any other.
import { SaveStoppedError } from './stream-sinks.js';
import { ApiError, type ApiErrorCode, IntegrityError, type TransferProgress, isApiError } from '@valise/client';

export type WorkerFailure =
  | { kind: 'api'; status: number; code: ApiErrorCode; attemptsLeft?: number | undefined; retryAfter?: number | undefined }
  | { kind: 'integrity' }
  /** The browser's download was cancelled by the person, or never began. */
  | { kind: 'save_stopped' }
  | { kind: 'other' };

export function describeFailure(error: unknown): WorkerFailure {
  if (error instanceof SaveStoppedError) return { kind: 'save_stopped' };
  if (isApiError(error)) return { kind: 'api', status: error.status, code: error.code, attemptsLeft: error.attemptsLeft, retryAfter: error.retryAfter };
  if (error instanceof IntegrityError) return { kind: 'integrity' };
  return { kind: 'other' };
}

export function rebuildFailure(failure: WorkerFailure): Error {
  if (failure.kind === 'api') return new ApiError({ status: failure.status, code: failure.code, title: failure.code, attemptsLeft: failure.attemptsLeft, retryAfter: failure.retryAfter });
  if (failure.kind === 'integrity') return new IntegrityError('decryption_failed', 'the transfer could not be verified');
  if (failure.kind === 'save_stopped') return new SaveStoppedError('the browser stopped the download');
  return new Error('the work failed');
}

export interface ReceivedFile {
  name: string;
  type: string;
  size: number;
  blob: Blob;
}

export type DownloadRequest = {
  serverUrl: string;
  transferId: string;
  grantToken: string;
  grantExpiresAt: number;
  transferExpiresAt: number;
  /** The decrypted manifest (file keys included): it never leaves this browser. */
  manifest: unknown;
  /**
   * Where the files go: a folder chosen by the person (streamed to disk), the browser's downloads through the save
   * service worker (streamed; the worker asks the page for one port per file), or one Blob per file to save.
   */
  saveTo: { kind: 'folder'; folder: FileSystemDirectoryHandle } | { kind: 'stream' } | { kind: 'blobs' };
};

/** Page → download worker: the port a file's bytes stream into (answer to `open-stream`); null if none could be opened. */
export type StreamPortMessage = { kind: 'stream-port'; index: number; port: MessagePort | null };

export type DownloadEvent =
  | { kind: 'progress'; progress: TransferProgress }
  | { kind: 'done'; files: ReceivedFile[] }
  | { kind: 'saved'; where: 'folder' | 'downloads'; files: Array<{ name: string; size: number }> }
  /** The worker needs a port to stream file `index` into the browser's downloads. */
  | { kind: 'open-stream'; index: number; name: string; size: number }
  | { kind: 'failed'; failure: WorkerFailure };

export interface UploadRequest {
  files: File[];
  recipients: string[];
  expiresInSeconds: number;
  maxDownloads?: number | undefined;
  dataClass: string;
  message?: string | undefined;
}

export type UploadCommand = { kind: 'start'; request: UploadRequest } | { kind: 'cancel' };

export type UploadEvent =
  | { kind: 'progress'; progress: TransferProgress }
  | { kind: 'resuming'; partsDone: number; partsTotal: number }
  | { kind: 'restarting' }
  | { kind: 'done'; link: string; transferId: string; expiresAt: number; maxDownloads: number; dataClass: string }
  | { kind: 'cancelled' }
  | { kind: 'failed'; failure: WorkerFailure };
