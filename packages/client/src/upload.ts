// The send engine: fingerprint the sources, create (or resume) a transfer, encrypt and upload part by part,
// then seal the manifest, wrap the link slot and finalize. No Node or DOM APIs: a FileSource reads the bytes.
import {
  type ChunkAead, type ClientKey, type Encryptor, type LinkSecret, type Manifest, type ServerShare, type Sha256,
  HEADER_SIZE, PART_CIPHERTEXT_SIZE, PART_PLAINTEXT_SIZE, SALT_SIZE, ciphertextSize, expectedPartSize, createEncryptor, deriveLinkAuthKey, deriveTransferKey, encryptManifest, encryptPart,
  fileContext, fromBase64Url, idFromText, idToText, newId, newSecret, partCount, partHash, partPlaintextRange,
  randomBytes, secretFromBase64Url, sha256, toBase64Url, utf8, wrapLinkSlot,
} from '@valise/crypto';
import {
  type CertifiedMemberKey, type TransferIdBytes, type UnlockedMemberKeys, type VerifiedBoxKey, type VerifiedTeamKey, sealBoxSlot, sealMemberSlot, sealTeamSlot, serializeManifest,
  signManifest,
} from '@valise/crypto';
import type { CreateTransferResponse, DepositReceipt, UploadStatus } from '@valise/protocol';
import { isApiError } from './api-error.js';
import type { ValiseApi } from './api-client.js';
import { buildTransferLink } from './links.js';
import { runPool } from './pool.js';
import { type ProgressListener, ProgressTracker } from './progress.js';
import { type ResumeState, type ResumeStore, isResumeState } from './resume-store.js';

/** Something to send: a name, a type, a size, and random access to its bytes. */
export interface FileSource {
  name: string;
  /** MIME type; "application/octet-stream" when unknown. */
  type: string;
  size: number;
  /** Milliseconds since the epoch, when known: part of the resume fingerprint. */
  lastModified?: number | undefined;
  /** Bytes [start, end) of the file: exactly end − start of them. */
  readRange(start: number, end: number): Promise<Uint8Array>;
  /** Optional: readRange into `into` (at least end − start bytes), returning the view of it that was filled. */
  readRangeInto?(start: number, end: number, into: Uint8Array): Promise<Uint8Array>;
}

export type UploadNotice =
  /** The server made the transfer (its keys are on record): a caller that cancels can abandon it by this id. */
  | { kind: 'created'; transferId: string }
  | { kind: 'resuming'; transferId: string; partsDone: number; partsTotal: number }
  | { kind: 'restarting'; reason: 'sources_changed' | 'transfer_closed' };

export interface UploadOptions {
  api: ValiseApi;
  files: readonly FileSource[];
  recipients: readonly string[];
  expiresInSeconds?: number | undefined;
  maxDownloads?: number | undefined;
  /** The data class (retention policy) by name; the server's default when omitted. */
  dataClass?: string | undefined;
  message?: string | undefined;
  /** Where to keep keys and progress for resuming; without it, an interrupted upload starts over. */
  resumeStore?: ResumeStore | undefined;
  /** Identifies this upload job in the store (the CLI: server URL + absolute paths). */
  resumeKey?: string | undefined;
  /** Per-chunk AES-GCM; WebCrypto by default. */
  aead?: ChunkAead | undefined;
  /** SHA-256 of the ciphertext parts; WebCrypto by default. */
  sha256?: Sha256 | undefined;
  /**
   * Reuse one ciphertext buffer per part in flight instead of allocating 8 MiB per part. Only when `api.putPart`
   * is done with the bytes once it resolves (true of a fetch that sends them before the response, as the CLI's);
   * not with a fetch that keeps a reference to the body.
   */
  reuseBuffers?: boolean | undefined;
  /**
   * Encrypts and hashes one part somewhere else (a pool of workers, say), instead of on this thread. It must do
   * exactly what the engine does: Cobblestone under the file's FK and salt, bound to (transfer id, file id), then
   * SHA-256 of the ciphertext (docs/format.md §7). `plaintext` may be transferred away.
   */
  sealPart?: ((job: SealPartJob) => Promise<SealedPart>) | undefined;
  /** Parts in flight (each holds one part of plaintext and ciphertext in memory). Default 3. */
  concurrency?: number | undefined;
  onProgress?: ProgressListener | undefined;
  onNotice?: ((notice: UploadNotice) => void) | undefined;
  signal?: AbortSignal | undefined;
  now?: () => number;
  /**
   * Sending to members (docs/format.md §12): CK sealed in a member slot to each recipient's certified key (checked
   * and pinned by the caller: resolveContact) and to the sender's own key; the manifest signed by the sender.
   * `link`: also make a link, for the recipients without a member slot. Without `members`: a link only.
   */
  members?: MemberDelivery | undefined;
  /**
   * A deposit into a drop box (docs/format.md §13.3) instead of a transfer: created, uploaded and finalized with the
   * deposit token, CK sealed only to the verified box key (no link, no self slot). `recipients` is ignored.
   */
  deposit?: DepositTarget | undefined;
}

export interface DepositTarget {
  readonly boxId: string;
  readonly depositToken: string;
  readonly box: VerifiedBoxKey;
}

export interface MemberDelivery {
  readonly sender: UnlockedMemberKeys;
  readonly recipients: readonly CertifiedMemberKey[];
  /** Teams (docs/format.md §13.5), each key verified by the caller (resolveTeamKey): one team slot each. */
  readonly teams?: readonly VerifiedTeamKey[] | undefined;
  readonly link: boolean;
}

/** One part to encrypt: everything needed to rebuild the file's encryptor (same FK and salt: same bytes). */
export interface SealPartJob {
  transferId: string;
  fileId: string;
  /** FK and the file's Cobblestone salt, base64url. */
  fileKey: string;
  salt: string;
  plaintextSize: number;
  index: number;
  plaintext: Uint8Array;
}

export interface SealedPart {
  ciphertext: Uint8Array;
  /** base64url SHA-256 of the ciphertext. */
  sha256: string;
}

/** The engine's own sealing, for a worker that runs it (the same code path as without `sealPart`). */
export async function sealPart(job: SealPartJob, encryptor?: Encryptor, options: { aead?: ChunkAead; sha256?: Sha256 } = {}): Promise<SealedPart> {
  const e = encryptor ?? await encryptorForJob(job, options.aead);
  const ciphertext = await encryptPart(e, job.plaintextSize, job.index, job.plaintext);
  return { ciphertext, sha256: await partHash(ciphertext, options.sha256) };
}

/** The encryptor of a job's file: same FK and salt as every other part of it. */
export function encryptorForJob(job: Pick<SealPartJob, 'transferId' | 'fileId' | 'fileKey' | 'salt'>, aead?: ChunkAead): Promise<Encryptor> {
  return createEncryptor(secretFromBase64Url<'FileKey'>(job.fileKey), fileContext(idFromText<'TransferId'>(job.transferId), idFromText<'FileId'>(job.fileId)), {
    salt: fromBase64Url(job.salt, SALT_SIZE),
    ...(aead ? { aead } : {}),
  });
}

export interface UploadResult {
  transferId: string;
  /** The link to give the recipients without a member slot (its fragment holds the link secret); null: none. */
  link: string | null;
  expiresAt: number;
  maxDownloads: number;
  /** The data class the transfer lives under (its retention policy). */
  dataClass: string;
  resumed: boolean;
  /** A deposit's receipt (also e-mailed to the depositor). */
  receipt?: DepositReceipt;
}

const DEFAULT_TYPE = 'application/octet-stream';
const MIME = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/u;

/** Sends files: returns once the transfer is finalized and the link can be given out. */
export async function uploadTransfer(opts: UploadOptions & { members?: undefined; deposit?: undefined }): Promise<UploadResult & { link: string }>;
export async function uploadTransfer(opts: UploadOptions): Promise<UploadResult>;
export async function uploadTransfer(opts: UploadOptions): Promise<UploadResult> {
  const { api, files, signal } = opts;
  if (files.length === 0) throw new TypeError('nothing to send: give at least one file');
  if (opts.recipients.length === 0 && !opts.deposit && !opts.members?.teams?.length) throw new TypeError('give at least one recipient');
  for (const f of files) {
    if (!Number.isSafeInteger(f.size) || f.size < 0) throw new TypeError(`${f.name}: the size is not valid`);
  }
  const store = opts.resumeStore;
  const key = opts.resumeKey ?? `${api.serverUrl}\n${files.map((f) => `${f.name}\t${f.size}`).join('\n')}`;
  const fingerprint = await fingerprintUpload(opts);
  signal?.throwIfAborted();

  const resumable = store ? await findResumable(opts, store, key, fingerprint) : undefined;
  let state: ResumeState;
  let serverShare: string;
  let received = new Map<string, Map<number, string>>();
  if (resumable) {
    ({ state } = resumable);
    serverShare = resumable.status.serverShare!;
    received = new Map(resumable.status.files.map((f) => [f.fileId, new Map(f.received.map((r) => [r.index, r.sha256]))]));
    const partsTotal = state.files.reduce((n, f) => n + f.partHashes.length, 0);
    const partsDone = resumable.status.files.reduce((n, f) => n + f.received.length, 0);
    opts.onNotice?.({ kind: 'resuming', transferId: state.transferId, partsDone, partsTotal });
  } else {
    const sizes = files.map((f) => ({ ciphertextSize: ciphertextSize(f.size) }));
    const created = opts.deposit
      ? await api.createDeposit(opts.deposit.boxId, { files: sizes }, opts.deposit.depositToken, { signal })
      : await api.createTransfer({
        files: sizes,
        recipients: [...opts.recipients],
        ...(opts.members?.teams?.length ? { teams: opts.members.teams.map((t) => t.record.teamId) } : {}),
        ...(opts.expiresInSeconds === undefined ? {} : { expiresInSeconds: opts.expiresInSeconds }),
        ...(opts.maxDownloads === undefined ? {} : { maxDownloads: opts.maxDownloads }),
        ...(opts.dataClass === undefined ? {} : { dataClass: opts.dataClass }),
      }, { signal });
    checkCreated(created, files);
    serverShare = created.serverShare;
    state = freshState(api.serverUrl, created, files, fingerprint, (opts.now ?? Date.now)());
    // Keys are on record before any ciphertext leaves: a crash now resumes with these keys, never new ones.
    await store?.save(key, state);
    opts.onNotice?.({ kind: 'created', transferId: state.transferId });
  }

  await uploadParts(opts, state, received, store ? () => store.save(key, state) : undefined);
  const finalized = await finalizeTransfer(opts, state, serverShare);
  await store?.delete(key);
  return { ...finalized, resumed: resumable !== undefined };
}

/**
 * SHA-256 over what the keys of an upload are bound to: every source's name, type, size, modification time
 * and the hash of its first part (up to 8 MiB), plus the creation settings. Any change means fresh keys
 * (crypto-notes §6: different plaintext under the same key and nonce breaks GCM).
 */
export async function fingerprintUpload(opts: Pick<UploadOptions, 'files' | 'recipients' | 'expiresInSeconds' | 'maxDownloads' | 'dataClass' | 'members'>): Promise<string> {
  const entries = [];
  for (const f of opts.files) {
    const { start, end } = partPlaintextRange(f.size, 0);
    const head = await readExact(f, start, end);
    entries.push({ name: f.name, type: f.type, size: f.size, lastModified: f.lastModified ?? null, head: toBase64Url(await sha256(head)) });
  }
  const settings = {
    recipients: opts.recipients.map((r) => r.trim().toLowerCase()).sort(),
    expiresInSeconds: opts.expiresInSeconds ?? null,
    maxDownloads: opts.maxDownloads ?? null,
    dataClass: opts.dataClass ?? null,
    // Only when there are teams, so a resume state saved before teams existed keeps its fingerprint.
    ...(opts.members?.teams?.length ? { teams: opts.members.teams.map((t) => t.record.teamId).sort() } : {}),
  };
  return toBase64Url(await sha256(utf8(JSON.stringify({ v: 1, files: entries, settings }))));
}

async function readExact(source: FileSource, start: number, end: number, into?: Uint8Array): Promise<Uint8Array> {
  const bytes = into && source.readRangeInto ? await source.readRangeInto(start, end, into) : await source.readRange(start, end);
  if (bytes.length !== end - start) throw new Error(`${source.name}: the file changed while it was being read`);
  return bytes;
}

/** A stored state is reused only if it is for the same sources and settings and the server still accepts parts. */
async function findResumable(
  opts: UploadOptions,
  store: ResumeStore,
  key: string,
  fingerprint: string,
): Promise<{ state: ResumeState; status: UploadStatus } | undefined> {
  const loaded = await store.load(key);
  if (loaded === undefined) return undefined;
  if (!isResumeState(loaded) || loaded.serverUrl !== opts.api.serverUrl) {
    await store.delete(key);
    return undefined;
  }
  let status: UploadStatus | undefined;
  try {
    status = opts.deposit
      ? await opts.api.depositStatus(loaded.transferId, opts.deposit.depositToken, { signal: opts.signal })
      : await opts.api.uploadStatus(loaded.transferId, { signal: opts.signal });
  } catch (e) {
    // Gone or not ours any more: start over. Anything else (network) goes to the caller, who may retry later.
    if (!isApiError(e) || ![403, 404, 409, 410].includes(e.status)) throw e;
  }
  const sameSources = loaded.fingerprint === fingerprint;
  if (status?.state === 'uploading' && sameSources && status.serverShare !== null && sameFiles(loaded, status)) {
    return { state: loaded, status };
  }
  if (status?.state === 'uploading' && !opts.deposit) {
    // Abandon the old transfer: its keys were used on other bytes and must never encrypt these. (An unfinished
    // deposit cannot be revoked by its depositor: the purge abandons it after 24 hours.)
    await opts.api.revokeTransfer(loaded.transferId, { signal: opts.signal }).catch(() => undefined);
  }
  await store.delete(key);
  opts.onNotice?.({ kind: 'restarting', reason: sameSources ? 'transfer_closed' : 'sources_changed' });
  return undefined;
}

function sameFiles(state: ResumeState, status: UploadStatus): boolean {
  return state.transferId === status.transferId && state.files.length === status.files.length &&
    state.files.every((f, i) => {
      const s = status.files[i]!;
      return s.fileId === f.fileId && s.ciphertextSize === f.ciphertextSize && s.partCount === f.partHashes.length;
    });
}

function checkCreated(created: CreateTransferResponse, files: readonly FileSource[]): void {
  const ok = created.files.length === files.length && created.files.every((f, i) =>
    f.ciphertextSize === ciphertextSize(files[i]!.size) && f.partCount === partCount(files[i]!.size));
  if (!ok) throw new Error('the server answered with a file list that does not match the request');
}

function freshState(serverUrl: string, created: CreateTransferResponse, files: readonly FileSource[], fingerprint: string, now: number): ResumeState {
  return {
    v: 1,
    serverUrl,
    transferId: created.transferId,
    fingerprint,
    createdAt: new Date(now).toISOString(),
    maxDownloads: created.maxDownloads,
    dataClass: created.dataClass,
    clientKey: toBase64Url(newSecret<'ClientKey'>()),
    linkSecret: toBase64Url(newSecret<'LinkSecret'>()),
    slotId: idToText(newId<'SlotId'>()),
    files: created.files.map((f, i) => ({
      fileId: f.fileId,
      key: toBase64Url(newSecret<'FileKey'>()),
      salt: toBase64Url(randomBytes(SALT_SIZE)),
      size: files[i]!.size,
      ciphertextSize: f.ciphertextSize,
      partHashes: Array.from({ length: f.partCount }, () => null),
    })),
  };
}

async function uploadParts(
  opts: UploadOptions,
  state: ResumeState,
  received: Map<string, Map<number, string>>,
  save: (() => Promise<void>) | undefined,
): Promise<void> {
  const { api, files } = opts;
  const progress = new ProgressTracker(files.map((f) => f.size), opts.onProgress);
  const encryptors = new Map<number, Promise<Encryptor>>();
  const encryptorFor = (i: number): Promise<Encryptor> => {
    let e = encryptors.get(i);
    if (!e) {
      const f = state.files[i]!;
      // Same FK and salt as the first attempt: a re-encrypted part is byte-identical (same plaintext, same nonces).
      e = encryptorForJob({ transferId: state.transferId, fileId: f.fileId, fileKey: f.key, salt: f.salt }, opts.aead);
      encryptors.set(i, e);
    }
    return e;
  };
  // Saves are chained so two parts finishing together never interleave writes; a failed save only costs
  // re-encrypting that part on resume, so it does not stop the upload.
  let saving = Promise.resolve();
  const record = () => {
    if (save) saving = saving.then(save).catch(() => undefined);
    return saving;
  };

  // Spare full-size ciphertext buffers (opts.reuseBuffers): at most one per part in flight.
  const spare: Uint8Array[] = [];
  const bufferFor = (size: number): Uint8Array | undefined =>
    opts.reuseBuffers && size >= PART_CIPHERTEXT_SIZE ? (spare.pop() ?? new Uint8Array(PART_CIPHERTEXT_SIZE + HEADER_SIZE)) : undefined;
  // Likewise for plaintext, when the source can read into a buffer: one per part being read or encrypted.
  const sparePlaintext: Uint8Array[] = [];
  const plaintextBufferFor = (i: number, size: number): Uint8Array | undefined =>
    opts.reuseBuffers && files[i]!.readRangeInto && size >= PART_PLAINTEXT_SIZE ? (sparePlaintext.pop() ?? new Uint8Array(PART_PLAINTEXT_SIZE)) : undefined;

  function* tasks() {
    for (let i = 0; i < state.files.length; i++) {
      for (let k = 0; k < state.files[i]!.partHashes.length; k++) yield { i, k };
    }
  }

  await runPool(tasks(), opts.concurrency ?? 3, async ({ i, k }, signal) => {
    const f = state.files[i]!;
    const range = partPlaintextRange(f.size, k);
    const onServer = received.get(f.fileId)?.get(k);
    if (onServer !== undefined && f.partHashes[k] === onServer) {
      progress.add(i, range.end - range.start);
      return;
    }
    let ciphertext: Uint8Array;
    let hash: string;
    let buffer: Uint8Array | undefined;
    if (opts.sealPart) {
      const plaintext = await readExact(files[i]!, range.start, range.end);
      ({ ciphertext, sha256: hash } = await opts.sealPart({
        transferId: state.transferId, fileId: f.fileId, fileKey: f.key, salt: f.salt, plaintextSize: f.size, index: k, plaintext,
      }));
    } else {
      const plaintextBuffer = plaintextBufferFor(i, range.end - range.start);
      const plaintext = await readExact(files[i]!, range.start, range.end, plaintextBuffer);
      buffer = bufferFor(expectedPartSize(f.size, k));
      ciphertext = await encryptPart(await encryptorFor(i), f.size, k, plaintext, buffer);
      if (plaintextBuffer) sparePlaintext.push(plaintextBuffer);
      hash = await partHash(ciphertext, opts.sha256);
    }
    if (f.partHashes[k] != null && f.partHashes[k] !== hash) {
      // Deterministic encryption gave other bytes: the plaintext changed. Nothing was sent; stop here.
      throw new Error(`${files[i]!.name}: the file changed since the upload started; send it again`);
    }
    if (onServer !== hash) {
      const ref = { transferId: state.transferId, fileId: f.fileId, index: k };
      const receipt = opts.deposit
        ? await api.putDepositPart(ref, ciphertext, hash, opts.deposit.depositToken, { signal })
        : await api.putPart(ref, ciphertext, hash, { signal });
      if (receipt.sha256 !== hash || receipt.size !== ciphertext.length) throw new Error('the server acknowledged a part other than the one sent');
    }
    // Given back only after a success: after a failure the bytes may still be referenced by a request being torn down.
    if (buffer) spare.push(buffer);
    f.partHashes[k] = hash;
    await record();
    progress.add(i, range.end - range.start);
  }, opts.signal);
  await saving;
}

/** A deposit's only slot is to the box key; the depositor keeps nothing that opens it (docs/format.md §13.3). */
async function finalizeDeposit(
  opts: UploadOptions, deposit: DepositTarget, state: ResumeState, tid: TransferIdBytes, ck: ClientKey, sealedManifest: Uint8Array,
): Promise<Omit<UploadResult, 'resumed'>> {
  const slotId = newId<'SlotId'>();
  const wrapped = await sealBoxSlot(deposit.box, tid, slotId, ck);
  ck.fill(0);
  const receipt = await opts.api.finalizeDeposit(state.transferId, {
    boxSlot: { slotId: idToText(slotId), epoch: deposit.box.record.epoch, wrapped: toBase64Url(wrapped) },
    manifest: toBase64Url(sealedManifest),
  }, deposit.depositToken, { signal: opts.signal });
  if (receipt.transferId !== state.transferId || receipt.boxId !== deposit.boxId) throw new Error('the server finalized another deposit');
  return { transferId: state.transferId, link: null, expiresAt: receipt.expiresAt, maxDownloads: state.maxDownloads, dataClass: state.dataClass, receipt };
}

/** One member slot per recipient and one for the sender (self slot), and the sender's signature of the manifest. */
async function memberFields(members: MemberDelivery, tid: TransferIdBytes, ck: ClientKey, manifest: Manifest) {
  const self: CertifiedMemberKey = { record: members.sender.record, fingerprint: members.sender.fingerprint };
  const memberSlots = [];
  for (const who of [self, ...members.recipients.filter((r) => r.record.memberId !== self.record.memberId)]) {
    const slotId = newId<'SlotId'>();
    memberSlots.push({
      slotId: idToText(slotId),
      email: who.record.email,
      fingerprint: toBase64Url(who.fingerprint),
      wrapped: toBase64Url(await sealMemberSlot(who, tid, slotId, ck)),
    });
  }
  const teamSlots = [];
  for (const team of members.teams ?? []) {
    const slotId = newId<'SlotId'>();
    teamSlots.push({
      teamId: team.record.teamId,
      slotId: idToText(slotId),
      epoch: team.record.epoch,
      wrapped: toBase64Url(await sealTeamSlot(team, tid, slotId, ck)),
    });
  }
  const signature = await signManifest(members.sender, tid, serializeManifest(manifest));
  return { memberSlots, ...(teamSlots.length ? { teamSlots } : {}), manifestSignature: { signerFingerprint: toBase64Url(members.sender.fingerprint), signature: toBase64Url(signature) } };
}

async function finalizeTransfer(opts: UploadOptions, state: ResumeState, serverShareText: string): Promise<Omit<UploadResult, 'resumed'>> {
  const tid = idFromText<'TransferId'>(state.transferId);
  const slotId = idFromText<'SlotId'>(state.slotId);
  const ck: ClientKey = secretFromBase64Url<'ClientKey'>(state.clientKey);
  const ls: LinkSecret = secretFromBase64Url<'LinkSecret'>(state.linkSecret);
  const ss: ServerShare = secretFromBase64Url<'ServerShare'>(serverShareText);
  const aead = opts.aead ? { aead: opts.aead } : {};
  const manifest: Manifest = {
    v: 1,
    transferId: state.transferId,
    createdAt: state.createdAt,
    message: opts.message === undefined || opts.message === '' ? null : opts.message,
    files: state.files.map((f, i) => {
      const source = opts.files[i]!;
      const partHashes = f.partHashes.map((h) => {
        if (h === null) throw new Error('a part was not uploaded');
        return h;
      });
      return {
        fileId: f.fileId,
        key: f.key,
        name: source.name,
        type: MIME.test(source.type) ? source.type : DEFAULT_TYPE,
        size: f.size,
        ciphertextSize: f.ciphertextSize,
        partHashes,
      };
    }),
  };
  // TK needs SS: the manifest (names, file keys) is unreadable with the link alone (crypto-notes §2).
  const tk = await deriveTransferKey(ck, ss, tid);
  const sealedManifest = await encryptManifest(tk, manifest, aead);
  tk.fill(0);
  if (opts.deposit) return finalizeDeposit(opts, opts.deposit, state, tid, ck, sealedManifest);
  const members = opts.members;
  const withLink = members === undefined || members.link;
  const link = withLink
    ? { linkSlot: { slotId: state.slotId, wrapped: toBase64Url(await wrapLinkSlot(ls, tid, slotId, ck, aead)) }, linkAuthKey: toBase64Url(await deriveLinkAuthKey(ls, tid, slotId)) }
    : {};
  const fin = await opts.api.finalize(state.transferId, {
    ...link,
    ...(members ? await memberFields(members, tid, ck, manifest) : {}),
    manifest: toBase64Url(sealedManifest),
  }, { signal: opts.signal });
  if (fin.transferId !== state.transferId) throw new Error('the server finalized another transfer');
  if (withLink && fin.linkBase === null) throw new Error('the server made no link');
  return {
    transferId: state.transferId,
    link: withLink ? buildTransferLink(fin.linkBase!, ls) : null,
    expiresAt: fin.expiresAt,
    maxDownloads: state.maxDownloads,
    dataClass: state.dataClass,
  };
}
