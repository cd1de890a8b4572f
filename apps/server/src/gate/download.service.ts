// Downloads with a grant: checks the transfer and the grant on every request, streams parts, ends grants.
// Nothing here consumes a download (that happened when the grant was issued): GET and HEAD are safe to repeat.
import type { Readable } from 'node:stream';
import { type GrantedTransferResponse, LIMITS } from '@valise/protocol';
import { hashToken } from '../accounts/tokens.js';
import { BlobNotFoundError, type BlobStore } from '../blobs/blob-store.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { Keystore } from '../keystore.js';
import { requireAvailable } from '../transfers/availability.js';
import { PartRepository } from '../transfers/part.repository.js';
import { TransferRepository, type TransferRow } from '../transfers/transfer.repository.js';
import { AccessEventRepository } from './access-event.repository.js';
import { parseRange } from './byte-range.js';
import { releaseTransfer } from './release.js';
import { GrantRepository, type GrantRow } from './grant.repository.js';

/**
 * A part read moves the grant's expiry only when that gains at least this much: one write a minute instead of one
 * per part (each a synchronous commit). The idle timeout is thus between 29 and 30 minutes.
 */
const SLIDE_STEP_MS = 60_000;

export interface DownloadDeps {
  readonly handle: DatabaseHandle;
  readonly keystore: Keystore;
  readonly clock: Clock;
  readonly blobs: BlobStore;
}

export interface PartRequest {
  readonly transferId: string;
  readonly fileId: string;
  readonly index: number;
  /** The bearer token, or undefined when the request had none. */
  readonly grantToken: string | undefined;
  readonly range: string | undefined;
  /** HEAD answers the headers only, and does not slide the grant either. */
  readonly head: boolean;
}

export type PartResponse =
  | {
      readonly kind: 'part';
      /** Whole part, or the requested inclusive range of it. */
      readonly range: { readonly start: number; readonly end: number } | null;
      readonly size: number;
      readonly sha256: string;
      /** null for HEAD. */
      readonly body: Readable | null;
    }
  | { readonly kind: 'unsatisfiable'; readonly size: number };

export class DownloadService {
  readonly #deps: DownloadDeps;
  readonly #transfers: TransferRepository;
  readonly #parts: PartRepository;
  readonly #grants: GrantRepository;
  readonly #events: AccessEventRepository;

  constructor(deps: DownloadDeps) {
    this.#deps = deps;
    this.#transfers = new TransferRepository(deps.handle);
    this.#parts = new PartRepository(deps.handle);
    this.#grants = new GrantRepository(deps.handle);
    this.#events = new AccessEventRepository(deps.handle);
  }

  async part(request: PartRequest): Promise<PartResponse> {
    const now = this.#deps.clock.now();
    const { transfer, grant } = await this.#authorize(request.transferId, request.grantToken, now);
    const file = await this.#parts.findFile(transfer.id, request.fileId);
    const part = file && request.index < file.part_count ? await this.#parts.find(file.id, request.index) : undefined;
    if (!part) throw new AppError('not_found');

    const range = parseRange(request.range, part.size);
    if (range.kind === 'unsatisfiable') return { kind: 'unsatisfiable', size: part.size };
    const byteRange = range.kind === 'range' ? { start: range.start, end: range.end } : null;
    const slidTo = Math.min(now + LIMITS.grantIdleMs, transfer.expires_at ?? now);
    if (!request.head && slidTo - grant.expires_at >= SLIDE_STEP_MS) {
      // Reading slides the idle timeout: a long download keeps its grant, an abandoned one loses it.
      await this.#grants.slide(grant.id, slidTo, now);
    }
    const body = request.head ? null : await this.#open(transfer.id, part.blob_key, byteRange, now);
    return { kind: 'part', range: byteRange, size: part.size, sha256: Buffer.from(part.sha256).toString('base64url'), body };
  }

  /**
   * Releases the opened transfer again to a live grant: an interrupted client resumes without spending another
   * download. Slides the grant like a part read, and tells the sender's access log.
   */
  async resume(transferId: string, grantToken: string | undefined, ip: string | null): Promise<GrantedTransferResponse> {
    const now = this.#deps.clock.now();
    const { transfer, grant } = await this.#authorize(transferId, grantToken, now);
    if (transfer.link_slot_id === null) {
      // A transfer to members only has no link slot to release: its grants resume from the inbox, which re-issues one
      // without consuming anything while this one lives.
      throw new AppError('grant_invalid', { detail: 'This transfer has no link: open it again from your inbox.', reason: `transfer ${transferId}: resume without a link` });
    }
    const expiresAt = Math.min(now + LIMITS.grantIdleMs, transfer.expires_at ?? now);
    await this.#grants.slide(grant.id, expiresAt, now);
    const released = releaseTransfer(this.#deps.keystore, transfer, await this.#transfers.files(transferId), Math.max(expiresAt, grant.expires_at));
    await this.#events.record({ transferId, kind: 'resumed', at: now, recipientId: grant.recipient_id, userId: grant.user_id, ip });
    return released;
  }

  /**
   * Ends the grant: the recipient's client verified and saved everything. This, not the last byte served, is what
   * "this recipient has downloaded" means (a data class may delete the transfer once every recipient has, and the
   * sender is told).
   */
  async complete(transferId: string, grantToken: string | undefined, ip: string | null): Promise<void> {
    const now = this.#deps.clock.now();
    const { grant } = await this.#authorize(transferId, grantToken, now);
    const ended = await withWriteTransaction(this.#deps.handle, async (trx) => {
      if (!(await this.#grants.delete(grant.id, trx))) return false;
      if (grant.recipient_id !== null) await this.#transfers.markDownloaded(trx, grant.recipient_id, now);
      if (grant.team_id !== null) await this.#transfers.markTeamDownloaded(trx, transferId, grant.team_id, now);
      return true;
    });
    if (ended) {
      await this.#events.record({ transferId, kind: 'download_complete', at: now, recipientId: grant.recipient_id, userId: grant.user_id, ip });
    }
  }

  /** A blob missing under a ready transfer means it was revoked and purged a moment ago: answer that 410. */
  async #open(transferId: string, key: string, range: { start: number; end: number } | null, now: number): Promise<Readable> {
    try {
      return await this.#deps.blobs.get(key, range ?? undefined);
    } catch (error) {
      if (error instanceof BlobNotFoundError) {
        requireAvailable(transferId, await this.#transfers.findById(transferId), now, { needsDownloadLeft: false });
      }
      throw error;
    }
  }

  /**
   * The transfer first (a revoked or expired transfer answers its 410 even to a grant that was valid a moment ago),
   * then the grant, which must be live and belong to this transfer.
   */
  async #authorize(transferId: string, grantToken: string | undefined, now: number): Promise<{ transfer: TransferRow; grant: GrantRow }> {
    // An exhausted transfer still serves the grants it issued: the last recipient must be able to finish.
    const transfer = requireAvailable(transferId, await this.#transfers.findById(transferId), now, { needsDownloadLeft: false });
    if (grantToken === undefined) throw new AppError('grant_invalid');
    const grant = await this.#grants.findByTokenHash(hashToken(this.#deps.keystore.sessionKey, grantToken));
    if (!grant || grant.transfer_id !== transferId || grant.expires_at <= now) throw new AppError('grant_invalid');
    return { transfer, grant };
  }
}
