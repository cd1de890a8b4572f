// What the page and its workers say to each other. Errors cross as data (an Error's class does not survive
// postMessage) and are rebuilt on the page side, so they are worded like any other.
import { SaveStoppedError } from './stream-sinks.js';
import type { CertifiedMemberKey, UnlockedMemberKeys, VerifiedTeamKey } from '@valise/crypto';
import { ApiError, type ApiErrorCode, IntegrityError, type OpenedBox, type TransferProgress, isApiError } from '@valise/client';
import type { DepositReceipt } from '@valise/protocol';

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

/**
 * Member slots for the recipients who are members with organisation-certified keys (checked and pinned on the page),
 * and the sender's signature. Only what sending needs crosses: the sender's record, fingerprint and non-extractable
 * signing CryptoKey (the key that opens slots stays on the page).
 */
export interface MemberDeliveryRequest {
  sender: Pick<UnlockedMemberKeys, 'record' | 'fingerprint' | 'signingKey'>;
  recipients: CertifiedMemberKey[];
  /** Teams' current keys, verified on the page (certified team, signed key, no older epoch): one team slot each. */
  teams?: VerifiedTeamKey[] | undefined;
  /** Also a link, for the recipients without a member slot. */
  link: boolean;
}

export interface UploadRequest {
  files: File[];
  recipients: string[];
  expiresInSeconds: number;
  maxDownloads?: number | undefined;
  dataClass: string;
  message?: string | undefined;
  members?: MemberDeliveryRequest | undefined;
}

/**
 * A deposit into a drop box: the box as the page opened and checked it against the link (its API client apart), and
 * the deposit token from the e-mailed code. Nothing is kept for a resume: the depositor keeps nothing that opens it.
 */
export interface DepositRequest {
  files: File[];
  box: Omit<OpenedBox, 'api'>;
  depositToken: string;
}

export type UploadCommand = { kind: 'start'; request: UploadRequest } | { kind: 'deposit'; request: DepositRequest } | { kind: 'cancel' };

export type UploadEvent =
  | { kind: 'progress'; progress: TransferProgress }
  | { kind: 'resuming'; partsDone: number; partsTotal: number }
  | { kind: 'restarting' }
  | { kind: 'done'; link: string | null; transferId: string; expiresAt: number; maxDownloads: number; dataClass: string }
  | { kind: 'deposited'; receipt: DepositReceipt }
  | { kind: 'cancelled' }
  | { kind: 'failed'; failure: WorkerFailure };
