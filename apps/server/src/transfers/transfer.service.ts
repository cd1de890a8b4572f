// The sender's side of a transfer: create (policy, quota, SS), resume status, finalize, revoke.
import { LINK_SLOT_SIZE } from '@valise/crypto';
import type {
  CreateTransferRequest, CreateTransferResponse, FinalizeRequest, FinalizeResponse, TransferPolicy, UploadStatus,
} from '@valise/protocol';
import { newId } from '../accounts/tokens.js';
import type { AuditRepository } from '../audit/audit.repository.js';
import type { Clock } from '../clock.js';
import type { PolicyLimits } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { Keystore } from '../keystore.js';
import { GrantRepository } from '../gate/grant.repository.js';
import { dataClassView, type DataClassService } from '../retention/data-class.service.js';
import { PartRepository } from './part.repository.js';
import { newServerShare, openServerShare } from './server-share.js';
import { MIN_EXPIRY_MS, bytesInWords, durationInWords, planTransfer } from './transfer.policy.js';
import { TransferRepository, type TransferRow } from './transfer.repository.js';

export interface TransferServiceDeps {
  readonly handle: DatabaseHandle;
  readonly keystore: Keystore;
  readonly clock: Clock;
  readonly audit: AuditRepository;
  readonly limits: PolicyLimits;
  readonly dataClasses: DataClassService;
  /** Without a trailing slash. */
  readonly publicUrl: string;
}

/** The signed-in member acting as sender. */
export interface Sender {
  readonly id: string;
  readonly email: string;
}

export class TransferService {
  readonly #deps: TransferServiceDeps;
  readonly #transfers: TransferRepository;
  readonly #parts: PartRepository;
  readonly #grants: GrantRepository;

  constructor(deps: TransferServiceDeps) {
    this.#deps = deps;
    this.#transfers = new TransferRepository(deps.handle);
    this.#parts = new PartRepository(deps.handle);
    this.#grants = new GrantRepository(deps.handle);
  }

  /** What the send form needs to know of the policy. */
  async policy(): Promise<TransferPolicy> {
    const { limits, dataClasses } = this.#deps;
    return {
      minExpirySeconds: MIN_EXPIRY_MS / 1000,
      dataClasses: (await dataClasses.list()).map(dataClassView),
      defaultDataClass: limits.defaultDataClass,
      maxFiles: limits.maxFiles,
      maxRecipients: limits.maxRecipients,
      maxFileSize: limits.maxFileSize,
    };
  }

  async create(sender: Sender, request: CreateTransferRequest): Promise<CreateTransferResponse> {
    const { handle, keystore, clock, limits, audit, dataClasses } = this.#deps;
    const dataClass = await dataClasses.resolve(request.dataClass);
    const plan = planTransfer(request, limits, dataClass);
    if (!dataClass.allowOutsideRecipients) {
      const outside = await this.#transfers.nonMembers(plan.recipients);
      if (outside.length > 0) {
        throw new AppError('outside_recipient_not_allowed', { detail: `The data class "${dataClass.name}" only allows members as recipients; not members: ${outside.join(', ')}.` });
      }
    }
    const transferId = newId();
    const { share, sealed } = newServerShare(keystore, transferId);
    const files = plan.files.map((f) => ({ id: newId(), ciphertextSize: f.ciphertextSize, partCount: f.partCount }));
    const now = clock.now();
    await withWriteTransaction(
      handle,
      async (trx) => {
        const quota = (await this.#transfers.userQuota(trx, sender.id)) ?? limits.userQuota;
        const used = await this.#transfers.liveBytes(trx, sender.id);
        if (used + plan.totalBytes > quota) {
          throw new AppError('quota_exceeded', { detail: `This transfer needs ${bytesInWords(plan.totalBytes)}; ${bytesInWords(Math.max(0, quota - used))} of your ${bytesInWords(quota)} are free.` });
        }
        await this.#transfers.insert(trx, {
          id: transferId, senderId: sender.id, dataClass: dataClass.name, createdAt: now, expiresInMs: plan.expiresInMs, maxDownloads: plan.maxDownloads,
          ssEnc: sealed.sealed, ssEpoch: sealed.epoch, totalBytes: plan.totalBytes, files,
          recipients: plan.recipients.map((email) => ({ id: newId(), email })),
        });
      },
      // Two creations by one sender at once must not both fit in the same remaining quota.
      { lock: `quota:${sender.id}` },
    );
    await audit.append({
      actor: sender.id, action: 'transfer.created', target: transferId,
      detail: { dataClass: dataClass.name, files: files.length, bytes: plan.totalBytes, recipients: plan.recipients.length, expiresInMs: plan.expiresInMs, maxDownloads: plan.maxDownloads },
    });
    return {
      transferId,
      dataClass: dataClass.name,
      serverShare: Buffer.from(share).toString('base64url'),
      files: files.map((f) => ({ fileId: f.id, ciphertextSize: f.ciphertextSize, partCount: f.partCount })),
      expiresInSeconds: Math.floor(plan.expiresInMs / 1000),
      maxDownloads: plan.maxDownloads,
    };
  }

  /** What has arrived, for resuming; SS is given back to the owner only while the upload is unfinished. */
  async uploadStatus(sender: Sender, transferId: string): Promise<UploadStatus> {
    const transfer = await this.#owned(sender, transferId);
    const files = await this.#transfers.files(transferId);
    const parts = await this.#parts.listByTransfer(transferId);
    const serverShare =
      transfer.state === 'uploading' && transfer.ss_enc !== null
        ? Buffer.from(openServerShare(this.#deps.keystore, transferId, { sealed: transfer.ss_enc, epoch: transfer.ss_epoch })).toString('base64url')
        : null;
    return {
      transferId,
      state: transfer.state,
      serverShare,
      files: files.map((f) => ({
        fileId: f.id,
        ciphertextSize: f.ciphertext_size,
        partCount: f.part_count,
        received: parts
          .filter((p) => p.file_id === f.id)
          .sort((a, b) => a.idx - b.idx)
          .map((p) => ({ index: p.idx, sha256: Buffer.from(p.sha256).toString('base64url') })),
      })),
    };
  }

  /** Freezes the transfer: every part is there; the link slot, A and the manifest are stored; the clock starts. */
  async finalize(sender: Sender, transferId: string, request: FinalizeRequest): Promise<FinalizeResponse> {
    const { handle, clock, audit, publicUrl } = this.#deps;
    await this.#owned(sender, transferId);
    const linkSlot = strictBase64Url(request.linkSlot.wrapped, 'linkSlot.wrapped');
    if (linkSlot.length !== LINK_SLOT_SIZE) {
      throw new AppError('validation_failed', { detail: `linkSlot.wrapped must be ${LINK_SLOT_SIZE} bytes (got ${linkSlot.length}).` });
    }
    const linkAuthKey = strictBase64Url(request.linkAuthKey, 'linkAuthKey');
    if (linkAuthKey.length !== 32) throw new AppError('validation_failed', { detail: 'linkAuthKey must be 32 bytes.' });
    const manifest = strictBase64Url(request.manifest, 'manifest');
    if (manifest.length === 0) throw new AppError('validation_failed', { detail: 'The manifest is empty.' });

    const now = clock.now();
    let expiresAt = 0;
    try {
      await withWriteTransaction(handle, async (trx) => {
        // Locks the row: no part can be recorded between the count below and the state change.
        if (!(await this.#transfers.lockIfUploading(trx, transferId))) throw new AppError('transfer_not_uploading');
        const transfer = (await this.#transfers.findById(transferId, trx)) as TransferRow;
        const expected = (await this.#transfers.files(transferId, trx)).reduce((sum, f) => sum + f.part_count, 0);
        const received = await this.#parts.countByTransfer(transferId, trx);
        if (received < expected) {
          throw new AppError('upload_incomplete', { detail: `${expected - received} of ${expected} parts have not been uploaded yet.` });
        }
        // Never past the class maximum counted from creation, even for an upload that took long to finish.
        const dataClass = await this.#deps.dataClasses.resolve(transfer.data_class, trx);
        expiresAt = Math.min(now + transfer.expires_in_ms, transfer.created_at + dataClass.maxExpiryMs);
        if (expiresAt <= now) throw new AppError('expiry_out_of_range', { detail: `This upload took longer than the data class "${dataClass.name}" lets a transfer live (${durationInWords(dataClass.maxExpiryMs)} from its creation).` });
        await this.#transfers.markReady(trx, transferId, {
          now, expiresAt, linkSlotId: request.linkSlot.slotId, linkSlot, linkAuthKey, manifest,
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('conflict', { detail: 'This link slot id is already in use; make a new one.' });
      throw error;
    }
    await audit.append({ actor: sender.id, action: 'transfer.finalized', target: transferId, detail: { expiresAt } });
    return { transferId, expiresAt, linkBase: `${publicUrl}/t/${transferId}` };
  }

  /**
   * Closes the transfer now (an unfinished upload is abandoned the same way). Grants are deleted in the same
   * transaction, so a download in progress stops at its next request. Revoking twice is not an error.
   */
  async revoke(sender: Sender, transferId: string): Promise<void> {
    const { handle, clock, audit } = this.#deps;
    await this.#owned(sender, transferId);
    const now = clock.now();
    const changed = await withWriteTransaction(handle, async (trx) => {
      const closed = await this.#transfers.close(trx, transferId, { reason: 'revoked', now, from: ['uploading', 'ready'] });
      if (closed) await this.#grants.deleteByTransfer(trx, transferId);
      return closed;
    });
    if (changed) await audit.append({ actor: sender.id, action: 'transfer.revoked', target: transferId });
  }

  /** A transfer of someone else answers exactly like one that does not exist. */
  async #owned(sender: Sender, transferId: string): Promise<TransferRow> {
    const transfer = await this.#transfers.findOwned(transferId, sender.id);
    if (!transfer) throw new AppError('not_found');
    return transfer;
  }
}

/** Decodes base64url, refusing non-canonical text (trailing bits set), so one value has one encoding. */
function strictBase64Url(text: string, field: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new AppError('validation_failed', { detail: `${field} is not canonical base64url.` });
  return bytes;
}

/** SQLite and PostgreSQL report a unique-constraint violation differently. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
