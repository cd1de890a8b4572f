// Encrypts and uploads files off the page's thread, with the same engine as the CLI. Keys and progress are kept in
// IndexedDB, so after a network drop or a reload the same files (re-picked by the person) resume where they
// stopped; the engine checks their fingerprint and starts over with fresh keys if they changed.
/// <reference lib="webworker" />
import { type FileSource, type MemberDelivery, ValiseApi, createMemoryResumeStore, depositFiles, uploadTransfer } from '@valise/client';
import type { KemPrivateKey } from '@valise/crypto';
import { browserResumeStore, resumeKeyFor } from './browser-resume-store.js';
import { PartSealerPool, poolSize } from './part-pools.js';
import { webFetch } from './web-fetch.js';
import { type DepositRequest, type MemberDeliveryRequest, type UploadCommand, type UploadEvent, type UploadRequest, describeFailure } from './messages.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: UploadEvent) => scope.postMessage(event);
const api = new ValiseApi({ serverUrl: scope.location.origin, fetch: webFetch });
/** Parts in flight: the browser uploads several requests at once much faster than one after another. */
const PARTS_IN_FLIGHT = 4;
/** Threads sealing parts (see part-sealer.worker.ts): one per core, at least two, at most four. */
let running: { controller: AbortController; key: string; transferId?: string } | undefined;

function sourceOf(file: File): FileSource {
  return {
    name: file.name,
    type: file.type || 'application/octet-stream',
    size: file.size,
    lastModified: file.lastModified,
    async readRange(start, end) {
      return new Uint8Array(await file.slice(start, end).arrayBuffer());
    },
  };
}

async function start(request: UploadRequest): Promise<void> {
  const controller = new AbortController();
  const key = resumeKeyFor(request.files);
  const job: { controller: AbortController; key: string; transferId?: string } = { controller, key };
  running = job;
  const sealers = new PartSealerPool(poolSize());
  try {
    const result = await uploadTransfer({
      api,
      files: request.files.map(sourceOf),
      recipients: request.recipients,
      expiresInSeconds: request.expiresInSeconds,
      maxDownloads: request.maxDownloads,
      dataClass: request.dataClass,
      message: request.message,
      members: request.members && memberDelivery(request.members),
      resumeStore: browserResumeStore,
      resumeKey: key,
      concurrency: PARTS_IN_FLIGHT,
      sealPart: (part) => sealers.seal(part),
      signal: controller.signal,
      onProgress: (progress) => post({ kind: 'progress', progress }),
      onNotice: (notice) => {
        if (notice.kind === 'created' || notice.kind === 'resuming') job.transferId = notice.transferId;
        if (notice.kind === 'resuming') post({ kind: 'resuming', partsDone: notice.partsDone, partsTotal: notice.partsTotal });
        if (notice.kind === 'restarting') post({ kind: 'restarting' });
      },
    });
    post({ kind: 'done', link: result.link, transferId: result.transferId, expiresAt: result.expiresAt, maxDownloads: result.maxDownloads, dataClass: result.dataClass });
  } catch (error) {
    if (controller.signal.aborted) {
      await abandon(key, job.transferId);
      post({ kind: 'cancelled' });
    } else {
      post({ kind: 'failed', failure: describeFailure(error) });
    }
  } finally {
    sealers.terminate();
    running = undefined;
  }
}

/**
 * A deposit's resume state stays in this worker's memory only (it holds the keys, and the depositor must keep nothing
 * that opens the deposit): the page keeps the worker after a network failure, so "try again" resumes part by part;
 * a closed page leaves an unfinished deposit to the server, which abandons it after 24 hours.
 */
const depositResumes = createMemoryResumeStore();

/** A deposit into a drop box, encrypted to the box key the page checked against the link. */
async function deposit(request: DepositRequest): Promise<void> {
  const controller = new AbortController();
  const key = `${request.depositToken}\n${resumeKeyFor(request.files)}`;
  running = { controller, key };
  const sealers = new PartSealerPool(poolSize());
  try {
    const receipt = await depositFiles({ ...request.box, api }, request.depositToken, {
      files: request.files.map(sourceOf),
      resumeStore: depositResumes,
      resumeKey: key,
      concurrency: PARTS_IN_FLIGHT,
      sealPart: (part) => sealers.seal(part),
      signal: controller.signal,
      onProgress: (progress) => post({ kind: 'progress', progress }),
    });
    post({ kind: 'deposited', receipt });
  } catch (error) {
    if (controller.signal.aborted) {
      await depositResumes.delete(key);
      post({ kind: 'cancelled' });
    } else {
      post({ kind: 'failed', failure: describeFailure(error) });
    }
  } finally {
    sealers.terminate();
    running = undefined;
  }
}

/**
 * The engine's member delivery from what the page sent: sending seals slots to public keys and signs with the
 * signing key; it never opens a slot, so the sender's KEM private key stays on the page (a stand-in that opens
 * nothing takes its place: any use of it fails).
 */
function memberDelivery(request: MemberDeliveryRequest): MemberDelivery {
  return { ...request, sender: { ...request.sender, kemKey: NO_KEM_KEY } };
}
const NO_KEM_KEY = Object.freeze({ kem: 'X25519' }) as unknown as KemPrivateKey;

/** A cancelled send is abandoned for good: the server drops what it received, and the keys are forgotten. */
async function abandon(key: string, transferId: string | undefined): Promise<void> {
  const id = transferId ?? (await browserResumeStore.load(key))?.transferId;
  if (id !== undefined) await api.revokeTransfer(id).catch(() => undefined);
  await browserResumeStore.delete(key);
}

scope.onmessage = ({ data }: MessageEvent<UploadCommand>) => {
  if (data.kind === 'start' && !running) void start(data.request);
  if (data.kind === 'deposit' && !running) void deposit(data.request);
  if (data.kind === 'cancel') running?.controller.abort();
};
