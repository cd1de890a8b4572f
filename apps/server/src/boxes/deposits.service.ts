// The depositor's side of a drop box (docs/format.md §13.3): an address verified by an e-mailed code (the gate's
// codes, per box) gives a deposit token; the token creates one deposit — a transfer to the box's owners under the
// box's data class, counted atomically against the box's limit — uploads its parts like any transfer, and finalize
// stores the box slot and spends it. The depositor gets a receipt (answer and e-mail); the owners an inbox notice.
import { createHash } from 'node:crypto';
import { boxSlotSize, parseBoxKeyRecord } from '@valise/crypto';
import {
  LIMITS, type CreateDepositRequest, type CreateDepositResponse, type DepositCodeRequest, type DepositCodeResponse, type DepositReceipt,
  type DepositStatus, type DepositVerifyRequest, type DepositVerifyResponse, type FinalizeDepositRequest,
} from '@valise/protocol';
import { hashToken, newId, newToken } from '../accounts/tokens.js';
import type { AuditRepository } from '../audit/audit.repository.js';
import type { Clock } from '../clock.js';
import type { PolicyLimits } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { CODES_PER_ADDRESS, CODES_PER_TRANSFER, RATE_WINDOW_MS } from '../gate/gate.service.js';
import { codeHash, newCode, sameHash } from '../gate/one-time-code.js';
import { AppError } from '../http/errors.js';
import type { Keystore } from '../keystore.js';
import type { DataClassService } from '../retention/data-class.service.js';
import { fileLayout } from '../transfers/part-layout.js';
import { PartRepository } from '../transfers/part.repository.js';
import type { UploadScope } from '../transfers/part.service.js';
import { newServerShare } from '../transfers/server-share.js';
import { bytesInWords, durationInWords, normalizeEmail } from '../transfers/transfer.policy.js';
import { TransferRepository, type TransferRow } from '../transfers/transfer.repository.js';
import { uploadStatusOf } from '../transfers/transfer.service.js';
import { depositCodeMail, depositNoticeMail, depositReceiptMail } from './box-mail.js';
import type { BackgroundMailer } from '../mail/background-mailer.js';
import type { TeamNotices } from '../teams/team-mail.js';
import { allowedDomainsOf, boxUnavailability, depositorName, domainAllowed, isCanonicalId, requireOpenBox, strictBase64Url } from './box-rules.js';
import { BoxRepository, type BoxRow, type DepositTokenRow } from './boxes.repository.js';

/** A deposit token lives this long after the code was checked; finalize spends it sooner. */
export const DEPOSIT_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface DepositServiceDeps {
  readonly handle: DatabaseHandle;
  readonly keystore: Keystore;
  readonly clock: Clock;
  readonly audit: AuditRepository;
  readonly limits: PolicyLimits;
  readonly dataClasses: DataClassService;
  /** Without a trailing slash. */
  readonly publicUrl: string;
  /** Codes, receipts and owners' notices leave after the answer. */
  readonly mailLater: BackgroundMailer;
  /** The notices to the members of a team whose box received a deposit. */
  readonly teamNotices?: TeamNotices;
}

/** The caller of the deposit routes: a live deposit token (not expired, not spent). */
export type Depositor = DepositTokenRow;

export interface DepositCaller {
  readonly ip: string | null;
}

export class DepositService {
  readonly #deps: DepositServiceDeps;
  readonly #boxes: BoxRepository;
  readonly #transfers: TransferRepository;
  readonly #parts: PartRepository;

  constructor(deps: DepositServiceDeps) {
    this.#deps = deps;
    this.#boxes = new BoxRepository(deps.handle);
    this.#transfers = new TransferRepository(deps.handle);
    this.#parts = new PartRepository(deps.handle);
  }

  /**
   * POST /boxes/:boxId/code: an 8-digit code e-mailed to the address (10 minutes, 5 attempts, stored as an HMAC),
   * if the box takes deposits and accepts the address's domain. Rate-limited as the gate's codes are: per (box,
   * address) and per box within an hour. The answer does not wait for the mail.
   */
  async requestCode(boxId: string, request: DepositCodeRequest): Promise<DepositCodeResponse> {
    const { handle, keystore, clock } = this.#deps;
    const now = clock.now();
    const box = requireOpenBox(boxId, await this.#boxes.find(boxId), now, { needsRoom: true });
    const email = normalizeEmail(request.email);
    const name = depositorName(request.name);
    const allowed = allowedDomainsOf(box);
    if (!domainAllowed(email, allowed)) {
      throw new AppError('depositor_domain_not_allowed', {
        detail: `This drop box accepts addresses of ${allowed.join(', ')} (and their subdomains) only.`,
      });
    }
    const id = newId();
    const token = newToken();
    const code = newCode();
    const codeExpiresAt = now + LIMITS.codeLifetimeMs;
    const limited = await withWriteTransaction(handle, async (trx) => {
      const since = now - RATE_WINDOW_MS;
      const byAddress = await this.#boxes.openingsSince(trx, boxId, since, email);
      const byBox = await this.#boxes.openingsSince(trx, boxId, since);
      const full = byAddress.length >= CODES_PER_ADDRESS ? byAddress : byBox.length >= CODES_PER_TRANSFER ? byBox : null;
      // The oldest opening in the window is the first to leave it.
      if (full !== null) return Math.max(1, Math.ceil(((full[0] ?? now) + RATE_WINDOW_MS - now) / 1000));
      await this.#boxes.insertOpening(trx, {
        id, boxId, email, name, tokenHash: hashToken(keystore.sessionKey, token), codeHash: codeHash(keystore.sessionKey, id, code), codeExpiresAt, createdAt: now,
      });
      return null;
    }, { lock: `box-codes:${boxId}` });
    if (limited !== null) throw new AppError('rate_limited', { extra: { retryAfter: limited } });
    this.#deps.mailLater.send([depositCodeMail({ to: email, code, boxName: box.name })], { boxId });
    return { openingToken: token, codeExpiresAt };
  }

  /** POST /boxes/:boxId/verify: opening token + code → a deposit token for one deposit into this box (24 hours). */
  async verify(boxId: string, request: DepositVerifyRequest): Promise<DepositVerifyResponse> {
    const { handle, keystore, clock } = this.#deps;
    const now = clock.now();
    requireOpenBox(boxId, await this.#boxes.find(boxId), now, { needsRoom: true });
    const opening = await this.#boxes.findOpening(boxId, hashToken(keystore.sessionKey, request.openingToken));
    if (!opening || opening.completed_at !== null) throw new AppError('challenge_invalid', { detail: 'This code request is unknown or was used: ask for a new code.' });
    if (opening.code_expires_at <= now) throw new AppError('code_expired');
    // Counted before comparing, so that every guess costs an attempt, even concurrent ones.
    const attempts = await this.#boxes.countAttempt(opening.id, LIMITS.codeAttempts);
    if (attempts === null) throw new AppError('too_many_attempts');
    if (!sameHash(codeHash(keystore.sessionKey, opening.id, request.code), opening.code_hash)) {
      const attemptsLeft = LIMITS.codeAttempts - attempts;
      if (attemptsLeft <= 0) throw new AppError('too_many_attempts');
      throw new AppError('code_invalid', { extra: { attemptsLeft } });
    }
    const token = newToken();
    const expiresAt = now + DEPOSIT_TOKEN_LIFETIME_MS;
    await withWriteTransaction(handle, async (trx) => {
      if (!(await this.#boxes.completeOpening(trx, opening.id, now))) throw new AppError('challenge_invalid');
      await this.#boxes.insertToken(trx, {
        id: newId(), boxId, email: opening.email, name: opening.name, tokenHash: hashToken(keystore.sessionKey, token), createdAt: now, expiresAt,
      });
    });
    return { depositToken: token, expiresAt };
  }

  /** The live deposit token behind `Authorization: Bearer`; deposit_token_invalid (401) otherwise. */
  async authenticate(bearer: string | undefined): Promise<Depositor> {
    if (bearer === undefined) throw new AppError('deposit_token_invalid');
    const row = await this.#boxes.findToken(hashToken(this.#deps.keystore.sessionKey, bearer));
    if (!row || row.expires_at <= this.#deps.clock.now() || row.spent_at !== null) throw new AppError('deposit_token_invalid');
    return row;
  }

  /**
   * POST /boxes/:boxId/deposits: the deposit, a transfer to the box's owners (their addresses are its recipients)
   * under the box's data class with its default expiry and download limit (never fewer than the owners). Counted
   * against the box's limit in the statement that checks it (box_full when none is left), against the box creator's
   * quota, and bound to the token, all in one transaction.
   */
  async create(depositor: Depositor, boxId: string, request: CreateDepositRequest): Promise<CreateDepositResponse> {
    const { handle, keystore, clock, limits, audit, dataClasses } = this.#deps;
    if (depositor.box_id !== boxId) throw new AppError('deposit_token_invalid', { detail: 'This deposit permission is for another drop box.' });
    if (depositor.transfer_id !== null) {
      throw new AppError('conflict', { detail: `This permission already started the deposit ${depositor.transfer_id}: resume it, or verify your address again for another deposit.` });
    }
    const now = clock.now();
    const box = requireOpenBox(boxId, await this.#boxes.find(boxId), now, { needsRoom: true });
    const plan = planDeposit(request, limits, box);
    const dataClass = await dataClasses.resolve(box.data_class);
    // A member's box: its owners are the deposit's recipients. A team's box has none: its members, whoever they are
    // when they open it, reach it through the team (they still count toward the download limit).
    const owners = await this.#boxes.ownerEmails(boxId);
    const teamMembers = box.owner_team_id === null ? 0 : (await this.#boxes.teamMemberEmails(boxId)).length;
    const maxDownloads = Math.max(dataClass.maxDownloads, owners.length + teamMembers);
    const transferId = newId();
    const { share, sealed } = newServerShare(keystore, transferId);
    const files = plan.files.map((f) => ({ id: newId(), ciphertextSize: f.ciphertextSize, partCount: f.partCount }));
    await withWriteTransaction(handle, async (trx) => {
      if (!(await this.#boxes.countDeposit(trx, boxId, now))) {
        const current = await this.#boxes.find(boxId, trx);
        const code = current === undefined ? null : boxUnavailability(current, now, { needsRoom: true });
        throw new AppError(code ?? 'box_full', { reason: `box ${boxId}: deposit not counted` });
      }
      const quota = (await this.#transfers.userQuota(trx, box.owner_id)) ?? limits.userQuota;
      const used = await this.#transfers.liveBytes(trx, box.owner_id);
      if (used + plan.totalBytes > quota) {
        throw new AppError('box_quota_exceeded', { detail: `This deposit needs ${bytesInWords(plan.totalBytes)}; the box's owner has ${bytesInWords(Math.max(0, quota - used))} free.` });
      }
      await this.#transfers.insert(trx, {
        id: transferId, senderId: null, deposit: { boxId, depositorEmail: depositor.email, depositorName: depositor.name },
        dataClass: dataClass.name, createdAt: now, expiresInMs: dataClass.defaultExpiryMs, maxDownloads,
        ssEnc: sealed.sealed, ssEpoch: sealed.epoch, totalBytes: plan.totalBytes, files,
        recipients: owners.map((email) => ({ id: newId(), email })),
        // A team's box: the team is the recipient (no team slot; the box slot opens it).
        teams: box.owner_team_id === null ? [] : [box.owner_team_id],
      });
      if (!(await this.#boxes.claimToken(trx, depositor.id, transferId, now))) {
        throw new AppError('conflict', { detail: 'This permission already started a deposit: verify your address again for another one.' });
      }
    // The same lock as the owner's own transfers: a deposit and a transfer must not both fit in the same free quota.
    }, { lock: `quota:${box.owner_id}` });
    await audit.append({
      actor: null, action: 'deposit.created', target: transferId,
      detail: { boxId, depositor: depositor.email, files: files.length, bytes: plan.totalBytes, dataClass: dataClass.name },
    });
    return {
      transferId,
      dataClass: dataClass.name,
      serverShare: Buffer.from(share).toString('base64url'),
      files: files.map((f) => ({ fileId: f.id, ciphertextSize: f.ciphertextSize, partCount: f.partCount })),
      expiresInSeconds: Math.floor(dataClass.defaultExpiryMs / 1000),
      maxDownloads,
    };
  }

  /** GET /deposits/:transferId: what has arrived, for resuming (SS while uploading, as for a sender). */
  async status(depositor: Depositor, transferId: string): Promise<DepositStatus> {
    const { transfer } = await this.#deposit(depositor, transferId);
    return uploadStatusOf(this.#deps.keystore, this.#transfers, this.#parts, transfer);
  }

  /**
   * DELETE /deposits/:transferId: the depositor stops their unfinished deposit. It is closed as abandoned at once and
   * the token spent; the purge then deletes what arrived and gives the deposit's place in the box back — what it does
   * a day later for a deposit nobody finishes. Cancelling twice is not an error.
   */
  async cancel(depositor: Depositor, transferId: string): Promise<void> {
    if (depositor.transfer_id !== transferId) throw new AppError('not_found');
    const { handle, clock, audit } = this.#deps;
    const now = clock.now();
    const closed = await withWriteTransaction(handle, async (trx) => {
      const done = await this.#transfers.close(trx, transferId, { reason: 'abandoned', now, from: ['uploading'] });
      if (done) await this.#boxes.spendToken(trx, depositor.id, transferId, now);
      return done;
    });
    if (closed) await audit.append({ actor: null, action: 'deposit.cancelled', target: transferId, detail: { boxId: depositor.box_id, depositor: depositor.email } });
  }

  /** The part routes' scope: the token's own deposit, while its box takes deposits. */
  uploadScope(depositor: Depositor): UploadScope {
    return { transfer: async (transferId) => (await this.#deposit(depositor, transferId)).transfer };
  }

  /**
   * POST /deposits/:transferId/finalize: every part is there; the box slot (sealed to the box's current epoch, with
   * that key's exact slot size) and the manifest are stored and the token is spent, in one transaction; the clock of
   * the data class starts. Then the receipt is e-mailed to the depositor and the owners are told.
   */
  async finalize(depositor: Depositor, transferId: string, request: FinalizeDepositRequest): Promise<DepositReceipt> {
    const { handle, clock, audit, dataClasses, publicUrl } = this.#deps;
    const { transfer, box } = await this.#deposit(depositor, transferId);
    if (transfer.state !== 'uploading') throw new AppError('transfer_not_uploading');
    const slot = request.boxSlot;
    if (!isCanonicalId(slot.slotId)) throw new AppError('box_slot_invalid', { detail: 'boxSlot.slotId is not a canonical 16-byte id.' });
    const wrapped = strictBase64Url(slot.wrapped, 'boxSlot.wrapped');
    const manifest = strictBase64Url(request.manifest, 'manifest');
    if (manifest.length === 0) throw new AppError('validation_failed', { detail: 'The manifest is empty.' });
    const checkEpoch = async (db?: Parameters<BoxRepository['currentKey']>[1]) => {
      const key = await this.#boxes.currentKey(box.id, db);
      if (!key) throw new Error(`box ${box.id} has no key`);
      if (slot.epoch !== key.epoch) {
        throw new AppError('box_key_changed', { detail: `The box slot is sealed to the key of epoch ${slot.epoch}; the box's current key is epoch ${key.epoch}.` });
      }
      return key;
    };
    const { kem } = parseBoxKeyRecord((await checkEpoch()).record);
    if (wrapped.length !== boxSlotSize(kem)) {
      throw new AppError('box_slot_invalid', { detail: `The box slot must be ${boxSlotSize(kem)} bytes for this box's ${kem} key (got ${wrapped.length}).` });
    }

    const now = clock.now();
    let expiresAt = 0;
    await withWriteTransaction(handle, async (trx) => {
      // Locks the row: no part can be recorded between the count below and the state change.
      if (!(await this.#transfers.lockIfUploading(trx, transferId))) throw new AppError('transfer_not_uploading');
      // The box may have been closed (or its key renewed) since the checks above.
      requireOpenBox(box.id, await this.#boxes.find(box.id, trx), now, { needsRoom: false });
      await checkEpoch(trx);
      if (!(await this.#boxes.spendToken(trx, depositor.id, transferId, now))) throw new AppError('deposit_token_invalid');
      const expected = (await this.#transfers.files(transferId, trx)).reduce((sum, f) => sum + f.part_count, 0);
      const received = await this.#parts.countByTransfer(transferId, trx);
      if (received < expected) {
        throw new AppError('upload_incomplete', { detail: `${expected - received} of ${expected} parts have not been uploaded yet.` });
      }
      // Never past the class maximum counted from creation, even for an upload that took long to finish.
      const dataClass = await dataClasses.resolve(transfer.data_class, trx);
      expiresAt = Math.min(now + transfer.expires_in_ms, transfer.created_at + dataClass.maxExpiryMs);
      if (expiresAt <= now) throw new AppError('expiry_out_of_range', { detail: `This upload took longer than the data class "${dataClass.name}" lets a deposit live (${durationInWords(dataClass.maxExpiryMs)} from its creation).` });
      if (!(await this.#transfers.markDepositReady(trx, transferId, { now, expiresAt, manifest, boxSlot: { slotId: slot.slotId, epoch: slot.epoch, wrapped } }))) {
        throw new AppError('transfer_not_uploading');
      }
    });
    await audit.append({ actor: null, action: 'deposit.finalized', target: transferId, detail: { boxId: box.id, depositor: depositor.email, epoch: slot.epoch, expiresAt } });

    const receipt = await this.#receipt(transferId, box, depositor, { depositedAt: now, expiresAt }, manifest);
    const owners = await this.#transfers.recipientsOf(transferId);
    if (box.owner_team_id !== null) {
      const teamName = await this.#boxes.teamName(box.owner_team_id);
      const recipients = await this.#boxes.teamMemberEmails(box.id);
      if (teamName !== undefined && recipients.length > 0) {
        this.#deps.teamNotices?.depositMade({
          transferId, boxName: box.name, teamName, depositorEmail: depositor.email, recipients, fileCount: receipt.files.length, expiresAt,
        });
      }
    }
    this.#deps.mailLater.send([
      depositReceiptMail(receipt),
      ...owners.map((o) => depositNoticeMail({
        to: o.email, boxName: box.name, depositorEmail: depositor.email, depositorName: depositor.name,
        fileCount: receipt.files.length, expiresAt, inboxUrl: `${publicUrl}/inbox`,
      })),
    ], { transferId, boxId: box.id });
    return receipt;
  }

  /** What the depositor is told was stored: each file's size and part hashes, and the manifest's hash. */
  async #receipt(
    transferId: string, box: BoxRow, depositor: Depositor, at: { readonly depositedAt: number; readonly expiresAt: number }, manifest: Uint8Array,
  ): Promise<DepositReceipt> {
    const files = await this.#transfers.files(transferId);
    const parts = await this.#parts.listByTransfer(transferId);
    return {
      transferId,
      boxId: box.id,
      boxName: box.name,
      depositorEmail: depositor.email,
      depositedAt: at.depositedAt,
      expiresAt: at.expiresAt,
      files: files.map((f) => ({
        fileId: f.id,
        ciphertextSize: Number(f.ciphertext_size),
        partSha256: parts.filter((p) => p.file_id === f.id).sort((a, b) => a.idx - b.idx).map((p) => Buffer.from(p.sha256).toString('base64url')),
      })),
      manifestSha256: createHash('sha256').update(manifest).digest('base64url'),
    };
  }

  /**
   * The token's own deposit, while its box takes deposits (closed or expired: the 410 that says so). Another
   * deposit, or none, answers like an unknown id.
   */
  async #deposit(depositor: Depositor, transferId: string): Promise<{ transfer: TransferRow; box: BoxRow }> {
    if (depositor.transfer_id !== transferId) throw new AppError('not_found');
    const transfer = await this.#transfers.findById(transferId);
    if (!transfer || transfer.box_id !== depositor.box_id) throw new AppError('not_found');
    const box = requireOpenBox(depositor.box_id, await this.#boxes.find(depositor.box_id), this.#deps.clock.now(), { needsRoom: false });
    return { transfer, box };
  }
}

/** Counts and sizes of a deposit: the policy's file rules, and the box's limit on the plaintext of all files. */
function planDeposit(request: CreateDepositRequest, limits: PolicyLimits, box: BoxRow) {
  if (request.files.length > limits.maxFiles) {
    throw new AppError('too_many_files', { detail: `A deposit may hold at most ${limits.maxFiles} files (this one has ${request.files.length}).` });
  }
  const files = request.files.map((file, i) => {
    const layout = fileLayout(file.ciphertextSize);
    if (layout === null) throw new AppError('validation_failed', { detail: `files[${i}].ciphertextSize: ${file.ciphertextSize} is not the length of an encrypted file.` });
    if (layout.plaintextSize > limits.maxFileSize) {
      throw new AppError('file_too_large', { detail: `File ${i + 1} is ${bytesInWords(layout.plaintextSize)}; the limit is ${bytesInWords(limits.maxFileSize)}.` });
    }
    return layout;
  });
  const plaintext = files.reduce((sum, f) => sum + f.plaintextSize, 0);
  const limit = Number(box.max_deposit_bytes);
  if (plaintext > limit) {
    throw new AppError('deposit_too_large', { detail: `These files hold ${bytesInWords(plaintext)}; this drop box accepts ${bytesInWords(limit)} per deposit.` });
  }
  return { files, totalBytes: files.reduce((sum, f) => sum + f.ciphertextSize, 0) };
}
