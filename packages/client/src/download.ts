// The receive engine: pass the gate (link proof + recipient identity), recover CK from the link slot, TK from
// CK + SS, decrypt the manifest, then download, verify and decrypt every part into sinks (all files or none).
import {
  type ChunkAead, type Decryptor, type LinkSecret, type Manifest, type ManifestFile, type Sha256, type TransferIdBytes,
  HEADER_SIZE, PART_CIPHERTEXT_SIZE, PART_PLAINTEXT_SIZE, constantTimeEqual,
  decryptManifest, decryptPart, deriveLinkAuthKey, deriveTransferKey, expectedPartSize, fileContext,
  fromBase64Url, idFromText, isCryptoError, linkProof, openDecryptor, partCount, partPlaintextRange,
  secretFromBase64Url, secretFromBytes, sha256, toBase64Url, unwrapLinkSlot,
} from '@valise/crypto';
import { type GrantResponse, type GrantedTransferResponse, LIMITS } from '@valise/protocol';
import { ApiError, isApiError } from './api-error.js';
import { ValiseApi, type ValiseApiOptions } from './api-client.js';
import { IntegrityError } from './integrity-error.js';
import { type TransferLink, parseTransferLink } from './links.js';
import { type ProgressListener, ProgressTracker } from './progress.js';

/** Where one received file goes. Nothing is visible to the user before `commit`; `abort` leaves no trace. */
export interface FileSink {
  write(bytes: Uint8Array): Promise<void>;
  /** Optional: every byte of the file was written and verified; release resources (e.g. a file handle) until commit. */
  close?(): Promise<void>;
  /** Called only once every file of the transfer verified: make the file visible. */
  commit(): Promise<void>;
  /** Called on any failure: leave no trace (also after close). */
  abort(): Promise<void>;
}

/** What a sink factory learns about a file: from the authenticated manifest, but chosen by the sender. */
export interface ReceivedFileMeta {
  index: number;
  fileId: string;
  /** Untrusted: pass it through safeFileName before it touches a filesystem. */
  name: string;
  type: string;
  size: number;
}

export type CreateSink = (file: ReceivedFileMeta) => FileSink | Promise<FileSink>;

export interface AskCodeContext {
  email: string;
  codeExpiresAt: number;
  /** 1 for the first question. */
  attempt: number;
  /** Known after a wrong code. */
  attemptsLeft: number | undefined;
}

/** An outside recipient (a code is e-mailed) or a signed-in member who is a recipient (no code). */
export type RecipientIdentity =
  | { email: string; askCode: (context: AskCodeContext) => Promise<string> }
  | { memberToken: string };

export interface OpenOptions {
  /** Options for the API client made for the link's server (fetch, retries…). */
  apiOptions?: Omit<ValiseApiOptions, 'serverUrl' | 'token'>;
  aead?: ChunkAead | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Called as soon as a grant is issued, before anything else can fail: keep it (privately) to resume with
   * `resumeTransfer` after an interruption, without spending another download.
   */
  onGrant?: ((grant: KeptGrant) => Promise<void>) | undefined;
}

/** What a client keeps to resume an interrupted download. */
export interface KeptGrant {
  serverUrl: string;
  transferId: string;
  grantToken: string;
  grantExpiresAt: number;
}

export interface OpenedTransfer {
  serverUrl: string;
  transferId: string;
  grantToken: string;
  grantExpiresAt: number;
  transferExpiresAt: number;
  /** Decrypted and validated; file names in it are untrusted. */
  manifest: Manifest;
  api: ValiseApi;
}

/** Passes the gate and decrypts the manifest. Consumes one download (at the grant). */
export async function openTransfer(link: string | TransferLink, identity: RecipientIdentity, opts: OpenOptions = {}): Promise<OpenedTransfer> {
  const parsed = typeof link === 'string' ? parseTransferLink(link) : link;
  const api = new ValiseApi({ ...opts.apiOptions, serverUrl: parsed.serverUrl, token: 'memberToken' in identity ? identity.memberToken : undefined });
  const { transferId } = parsed;
  const tid = idFromText<'TransferId'>(transferId);
  const ls = secretFromBytes<'LinkSecret'>(parsed.linkSecret);
  const o = { signal: opts.signal };

  const challenge = await api.challenge(transferId, o);
  const authKey = await deriveLinkAuthKey(ls, tid, idFromText<'SlotId'>(challenge.slotId));
  const proof = toBase64Url(await linkProof(authKey, tid, fromBase64Url(challenge.nonce, 32)));
  authKey.fill(0);

  let grant: GrantResponse;
  if ('memberToken' in identity) {
    grant = await api.memberGrant(transferId, { challengeId: challenge.challengeId, proof }, o);
  } else {
    const email = identity.email.trim();
    const { openingToken, codeExpiresAt } = await api.requestCode(transferId, { challengeId: challenge.challengeId, proof, email }, o);
    grant = await grantWithCode(api, transferId, openingToken, { ...identity, email, codeExpiresAt }, opts.signal);
  }

  await opts.onGrant?.({ serverUrl: parsed.serverUrl, transferId, grantToken: grant.grantToken, grantExpiresAt: grant.grantExpiresAt });
  return opened(parsed, api, grant.grantToken, grant, opts.aead);
}

/**
 * Opens the transfer again with a grant kept from an interrupted run: nothing is consumed and no code is asked.
 * Fails with `grant_invalid` once the grant has ended (completed, idle for 30 minutes, or past the expiry).
 */
export async function resumeTransfer(link: string | TransferLink, grantToken: string, opts: OpenOptions = {}): Promise<OpenedTransfer> {
  const parsed = typeof link === 'string' ? parseTransferLink(link) : link;
  const api = new ValiseApi({ ...opts.apiOptions, serverUrl: parsed.serverUrl });
  const released = await api.grantedTransfer(parsed.transferId, grantToken, { signal: opts.signal });
  return opened(parsed, api, grantToken, released, opts.aead);
}

async function opened(link: TransferLink, api: ValiseApi, grantToken: string, released: GrantedTransferResponse, aead: ChunkAead | undefined): Promise<OpenedTransfer> {
  const tid = idFromText<'TransferId'>(link.transferId);
  const manifest = await unlockManifest(released, tid, secretFromBytes<'LinkSecret'>(link.linkSecret), aead);
  checkManifestAgainstGrant(manifest, released);
  return {
    serverUrl: link.serverUrl,
    transferId: link.transferId,
    grantToken,
    grantExpiresAt: released.grantExpiresAt,
    transferExpiresAt: released.transferExpiresAt,
    manifest,
    api,
  };
}

/** Asks for the e-mailed code until the server grants, or says no more attempts. Malformed codes are not sent. */
async function grantWithCode(
  api: ValiseApi,
  transferId: string,
  openingToken: string,
  who: { email: string; codeExpiresAt: number; askCode: (c: AskCodeContext) => Promise<string> },
  signal: AbortSignal | undefined,
): Promise<GrantResponse> {
  let attemptsLeft: number | undefined;
  for (let attempt = 1; attempt <= LIMITS.codeAttempts * 2; attempt++) {
    const code = (await who.askCode({ email: who.email, codeExpiresAt: who.codeExpiresAt, attempt, attemptsLeft })).replace(/[\s-]/gu, '');
    if (!/^[0-9]{8}$/u.test(code)) continue; // a typo: ask again without spending a server attempt
    try {
      return await api.codeGrant(transferId, { openingToken, code }, { signal });
    } catch (e) {
      if (isApiError(e, 'code_invalid') && (e.attemptsLeft === undefined || e.attemptsLeft > 0)) {
        attemptsLeft = e.attemptsLeft;
        continue;
      }
      throw e;
    }
  }
  throw new ApiError({ status: 400, code: 'code_invalid', title: 'The code is wrong.', attemptsLeft });
}

async function unlockManifest(grant: GrantedTransferResponse, tid: TransferIdBytes, ls: LinkSecret, aead: ChunkAead | undefined): Promise<Manifest> {
  try {
    const slotId = idFromText<'SlotId'>(grant.linkSlot.slotId);
    const ck = await unwrapLinkSlot(ls, tid, slotId, fromBase64Url(grant.linkSlot.wrapped));
    const tk = await deriveTransferKey(ck, secretFromBase64Url<'ServerShare'>(grant.serverShare), tid);
    ck.fill(0);
    try {
      return await decryptManifest(tk, tid, fromBase64Url(grant.manifest), aead ? { aead } : {});
    } finally {
      tk.fill(0);
    }
  } catch (e) {
    if (isCryptoError(e, 'manifest_invalid')) throw new IntegrityError('manifest_invalid', 'the list of files of this transfer is not valid', { cause: e });
    if (isCryptoError(e)) throw new IntegrityError('decryption_failed', 'the transfer could not be decrypted: the link or the data is damaged', { cause: e });
    throw e;
  }
}

/** The server's view of the files (sizes, part counts) must agree with the sender's authenticated manifest. */
/** The manifest must list exactly the files the server stores, with their sizes (a swapped manifest is refused). */
export function checkManifestAgainstGrant(manifest: Manifest, grant: Pick<GrantedTransferResponse, 'files'>): void {
  const byId = new Map(grant.files.map((f) => [f.fileId, f]));
  const ok = grant.files.length === manifest.files.length && manifest.files.every((f) => {
    const g = byId.get(f.fileId);
    return g !== undefined && g.ciphertextSize === f.ciphertextSize && g.partCount === partCount(f.size);
  });
  if (!ok) throw new IntegrityError('manifest_invalid', 'the server describes other files than the sender listed');
}

export interface DecryptToSinksOptions {
  transferId: string;
  files: readonly ManifestFile[];
  /** Fetches the ciphertext of part `index` of a file (the server in real use). */
  fetchPart(file: ManifestFile, index: number, signal: AbortSignal, into?: Uint8Array): Promise<Uint8Array>;
  createSink: CreateSink;
  aead?: ChunkAead | undefined;
  /** SHA-256 of the downloaded parts; WebCrypto by default. */
  sha256?: Sha256 | undefined;
  /**
   * Decrypt into two reused plaintext buffers instead of a fresh 8 MiB array per part. Only with sinks that are done
   * with the bytes once `write` resolves (a file); not with sinks that keep them.
   */
  reuseBuffers?: boolean | undefined;
  onProgress?: ProgressListener | undefined;
  signal?: AbortSignal | undefined;
  /** Parts fetched ahead of the one being decrypted (1 to 3 in flight in total). Default 1. */
  prefetch?: 0 | 1 | 2;
  /**
   * Verifies and decrypts one part somewhere else (a pool of workers, say), instead of on this thread. It must do
   * exactly what `openPart` does. `ciphertext` may be transferred away. Parts in flight are opened concurrently.
   */
  openPart?: ((job: OpenPartJob) => Promise<Uint8Array>) | undefined;
}

/** One downloaded part to verify and decrypt: everything needed to rebuild the file's decryptor. */
export interface OpenPartJob {
  transferId: string;
  fileId: string;
  /** The file's FK, base64url. */
  fileKey: string;
  plaintextSize: number;
  index: number;
  /** The file's 56-byte Cobblestone header (the start of its part 0). */
  header: Uint8Array;
  /** base64url SHA-256 of the part, from the authenticated manifest. */
  expectedSha256: string;
  ciphertext: Uint8Array;
}

/** The engine's own opening of a part, for a worker that runs it: hash checked first, then every tag. */
export async function openPart(
  job: OpenPartJob,
  decryptor?: Decryptor,
  options: {
    aead?: ChunkAead | undefined; sha256?: Sha256 | undefined; into?: Uint8Array | undefined; fileNumber?: number;
    /** The caller already checked this very part's size and hash (the engine does for part 0, to take its header). */
    alreadyVerified?: boolean;
  } = {},
): Promise<Uint8Array> {
  const where = `file ${(options.fileNumber ?? 0) + 1}, part ${job.index + 1}`;
  if (!options.alreadyVerified) await verifyPart(job, where, options.sha256);
  try {
    return await decryptPart(decryptor ?? await decryptorForJob(job, options.aead), job.plaintextSize, job.index, job.ciphertext, options.into);
  } catch (e) {
    if (isCryptoError(e)) throw new IntegrityError('decryption_failed', `${where}: decryption failed`, { cause: e });
    throw e;
  }
}

/** Size and SHA-256 against the manifest, before anything of the part reaches a decryptor. */
async function verifyPart(job: Pick<OpenPartJob, 'plaintextSize' | 'index' | 'expectedSha256' | 'ciphertext'>, where: string, hash: Sha256 | undefined): Promise<void> {
  if (job.ciphertext.length !== expectedPartSize(job.plaintextSize, job.index)) {
    throw new IntegrityError('part_size_mismatch', `${where}: the downloaded data has the wrong size`);
  }
  if (!constantTimeEqual(await (hash ?? sha256)(job.ciphertext), fromBase64Url(job.expectedSha256, 32))) {
    throw new IntegrityError('part_hash_mismatch', `${where}: the downloaded data does not match what the sender sent`);
  }
}

/** The decryptor of a job's file (fails with an IntegrityError if the header does not match the key). */
export async function decryptorForJob(job: Pick<OpenPartJob, 'transferId' | 'fileId' | 'fileKey' | 'header'>, aead?: ChunkAead): Promise<Decryptor> {
  const fk = secretFromBase64Url<'FileKey'>(job.fileKey);
  try {
    return await openDecryptor(fk, fileContext(idFromText<'TransferId'>(job.transferId), idFromText<'FileId'>(job.fileId)), job.header, aead ? { aead } : {});
  } catch (e) {
    if (isCryptoError(e)) throw new IntegrityError('decryption_failed', 'the file could not be decrypted: its header does not match its key', { cause: e });
    throw e;
  } finally {
    fk.fill(0);
  }
}

/**
 * Downloads, verifies and decrypts every file into its sink, in order. Each part's SHA-256 is checked against
 * the manifest before it is decrypted; plaintext reaches a sink only after its tags verified. Sinks are
 * committed only once every file verified; on any error every sink is aborted (no partial file is left).
 */
export async function decryptToSinks(opts: DecryptToSinksOptions): Promise<void> {
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const sinks: FileSink[] = [];
  const progress = new ProgressTracker(opts.files.map((f) => f.size), opts.onProgress);
  const tid = idFromText<'TransferId'>(opts.transferId);
  try {
    for (const [index, file] of opts.files.entries()) {
      signal.throwIfAborted();
      const sink = await opts.createSink({ index, fileId: file.fileId, name: file.name, type: file.type, size: file.size });
      sinks.push(sink);
      await decryptFile({ ...opts, tid, file, index, sink, progress, signal });
      await sink.close?.(); // thousands of files must not mean thousands of open handles
    }
    for (const sink of sinks) await sink.commit();
  } catch (error) {
    stop.abort(error);
    await Promise.allSettled(sinks.map((s) => s.abort()));
    throw error;
  }
}

async function decryptFile(o: DecryptToSinksOptions & {
  tid: TransferIdBytes; file: ManifestFile; index: number; sink: FileSink;
  progress: ProgressTracker; signal: AbortSignal;
}): Promise<void> {
  const { file } = o;
  const count = partCount(file.size);
  const ahead = (o.prefetch ?? 1) + 1;
  // Each part in flight is fetched, then verified and decrypted (concurrently with the others); the sink takes
  // them strictly in order, one write at a time.
  // (Each is dropped once taken, so that a file's plaintext is never held beyond the parts in flight.)
  const opened = new Map<number, Promise<{ plaintext: Uint8Array; into: Uint8Array | undefined }>>();
  let started = 0;
  // With reuseBuffers (and no openPart, which takes the ciphertext away): full-size ciphertext buffers lent to
  // fetchPart and plaintext buffers lent to the decryption, each given back once its part is done with it.
  const reuse = o.reuseBuffers === true && !o.openPart;
  const spareCiphertext: Uint8Array[] = [];
  const spare: Uint8Array[] = [];
  let header: Promise<Uint8Array> | undefined;
  let decryptor: Promise<Decryptor> | undefined;
  const job = (k: number, ciphertext: Uint8Array, h: Uint8Array): OpenPartJob => ({
    transferId: o.transferId, fileId: file.fileId, fileKey: file.key, plaintextSize: file.size, index: k,
    header: h, expectedSha256: file.partHashes[k]!, ciphertext,
  });
  const open = async (k: number, fetched: Promise<Uint8Array>, lent: Uint8Array | undefined) => {
    const bytes = await fetched;
    const h = await header!;
    if (o.openPart) return { plaintext: await o.openPart(job(k, bytes, h)), into: undefined };
    const range = partPlaintextRange(file.size, k);
    const into = reuse && range.end - range.start >= PART_PLAINTEXT_SIZE ? (spare.pop() ?? new Uint8Array(PART_PLAINTEXT_SIZE)) : undefined;
    decryptor ??= decryptorForJob(job(k, bytes, h), o.aead);
    const plaintext = await openPart(job(k, bytes, h), await decryptor, { aead: o.aead, sha256: o.sha256, into, fileNumber: o.index, alreadyVerified: k === 0 });
    if (lent) spareCiphertext.push(lent); // the ciphertext is no longer needed: its buffer can take a later part
    return { plaintext, into };
  };
  const start = (k: number) => {
    if (k >= count || k < started) return;
    started = k + 1;
    const lent = reuse && expectedPartSize(file.size, k) >= PART_CIPHERTEXT_SIZE
      ? (spareCiphertext.pop() ?? new Uint8Array(PART_CIPHERTEXT_SIZE + HEADER_SIZE)) : undefined;
    const fetched = lent ? o.fetchPart(file, k, o.signal, lent) : o.fetchPart(file, k, o.signal);
    // Part 0 starts with the file's header, which every part's decryption needs: taken only once part 0 matched
    // the manifest (a substituted part never reaches a decryptor), and copied (its buffer may be reused).
    if (k === 0) {
      header = fetched.then(async (b) => {
        await verifyPart({ plaintextSize: file.size, index: 0, expectedSha256: file.partHashes[0]!, ciphertext: b }, `file ${o.index + 1}, part 1`, o.sha256);
        return b.slice(0, HEADER_SIZE);
      });
    }
    header?.catch(() => undefined);
    const p = open(k, fetched, lent);
    p.catch(() => undefined); // handled when awaited in order; avoids an unhandled rejection meanwhile
    opened.set(k, p);
  };
  let writing: Promise<void> | undefined;
  try {
    for (let k = 0; k < count; k++) {
      for (let j = k; j < k + ahead; j++) start(j);
      const next = opened.get(k)!;
      opened.delete(k);
      const { plaintext, into } = await next;
      const range = partPlaintextRange(file.size, k);
      if (writing) await writing;
      // A spare buffer is never the one the sink is still writing: it is given back once its write is done.
      writing = o.sink.write(plaintext).then(() => {
        o.progress.add(o.index, range.end - range.start);
        if (into) spare.push(into);
      });
      writing.catch(() => undefined); // awaited before the next write or at the end
    }
    if (writing) await writing;
  } finally {
    // Never leave a write or a decryption running past this call (the caller may abort or close the sink next).
    await Promise.allSettled([writing, ...opened.values()]);
  }
}

/** How to download: everything decryptToSinks takes, but the transfer, its files and the fetching come from the grant. */
export type DownloadOptions = Omit<DecryptToSinksOptions, 'transferId' | 'files' | 'fetchPart'>;

export interface DownloadResult {
  transferId: string;
  files: ReceivedFileMeta[];
  message: string | null;
  /** False when the files are saved but the server could not be told (the grant then times out by itself). */
  completed: boolean;
}

/** Downloads every file of an opened transfer into sinks, then tells the server the download is complete. */
export async function downloadTransfer(opened: OpenedTransfer, opts: DownloadOptions): Promise<DownloadResult> {
  const { api, transferId, grantToken, manifest } = opened;
  await decryptToSinks({
    transferId,
    files: manifest.files,
    fetchPart: (file, index, signal, into) => api.getPart({ transferId, fileId: file.fileId, index }, grantToken, { signal, into }),
    createSink: opts.createSink,
    aead: opts.aead,
    sha256: opts.sha256,
    reuseBuffers: opts.reuseBuffers,
    openPart: opts.openPart,
    onProgress: opts.onProgress,
    signal: opts.signal,
    ...(opts.prefetch === undefined ? {} : { prefetch: opts.prefetch }),
  });
  let completed = true;
  try {
    await api.completeDownload(transferId, grantToken, { signal: opts.signal });
  } catch {
    completed = false;
  }
  return {
    transferId,
    files: manifest.files.map((f, index) => ({ index, fileId: f.fileId, name: f.name, type: f.type, size: f.size })),
    message: manifest.message,
    completed,
  };
}

/** openTransfer + downloadTransfer. */
export async function receiveTransfer(
  link: string | TransferLink,
  identity: RecipientIdentity,
  opts: OpenOptions & DownloadOptions,
): Promise<DownloadResult> {
  const opened = await openTransfer(link, identity, opts);
  return downloadTransfer(opened, opts);
}
