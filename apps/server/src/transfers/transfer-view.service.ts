// What a sender sees of their transfers: the list, and one transfer with its access log.
import { plaintextSizeOf } from '@valise/crypto';
import { LIMITS, type CloseReason, type TransferDetail, type TransferList, type TransferListQuery, type TransferSummary } from '@valise/protocol';
import type { DatabaseHandle } from '../db/database.js';
import { AccessEventRepository } from '../gate/access-event.repository.js';
import { AppError } from '../http/errors.js';
import { TransferRepository, type TransferRow } from './transfer.repository.js';
import type { Sender } from './transfer.service.js';

const CLOSE_REASONS: readonly string[] = ['expired', 'exhausted', 'revoked', 'abandoned', 'downloaded'];

/** `<created_at>.<id>`, as the schema's pattern already checked. */
function parseCursor(cursor: string): { createdAt: number; id: string } {
  const dot = cursor.indexOf('.');
  return { createdAt: Number(cursor.slice(0, dot)), id: cursor.slice(dot + 1) };
}

export class TransferViewService {
  readonly #transfers: TransferRepository;
  readonly #events: AccessEventRepository;

  constructor(deps: { readonly handle: DatabaseHandle }) {
    this.#transfers = new TransferRepository(deps.handle);
    this.#events = new AccessEventRepository(deps.handle);
  }

  /**
   * A page of the sender's transfers, newest first, tombstones included (they say what was sent to whom, and when).
   * The cursor names the last transfer shown (creation time and id): pages stay right while new transfers arrive.
   */
  async list(sender: Sender, query: TransferListQuery = {}): Promise<TransferList> {
    const limit = query.limit ?? LIMITS.transferPageDefault;
    const before = query.before === undefined ? undefined : parseCursor(query.before);
    // One more than asked: whether an older page exists, without counting.
    const rows = await this.#transfers.listBySender(sender.id, { limit: limit + 1, ...(before ? { before } : {}) });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      transfers: await this.#summaries(page),
      next: rows.length > limit && last ? `${last.created_at}.${last.id}` : null,
    };
  }

  async detail(sender: Sender, transferId: string): Promise<TransferDetail> {
    const transfer = await this.summary(sender, transferId);
    return { transfer, events: await this.#events.listForTransfer(transferId) };
  }

  async summary(sender: Sender, transferId: string): Promise<TransferSummary> {
    const row = await this.#transfers.findOwned(transferId, sender.id);
    if (!row) throw new AppError('not_found');
    const [summary] = await this.#summaries([row]);
    return summary as TransferSummary;
  }

  async #summaries(rows: readonly TransferRow[]): Promise<TransferSummary[]> {
    const ids = rows.map((r) => r.id);
    const recipients = await this.#transfers.recipients(ids);
    const teams = await this.#transfers.teamsOfTransfers(ids);
    const fileSizes = await this.#transfers.fileSizes(ids);
    return rows.map((r) => ({
      transferId: r.id,
      state: r.state,
      closeReason: r.close_reason !== null && CLOSE_REASONS.includes(r.close_reason) ? (r.close_reason as CloseReason) : null,
      dataClass: r.data_class,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      maxDownloads: r.max_downloads,
      downloadsUsed: r.downloads_used,
      recipients: (recipients.get(r.id) ?? []).map((x) => x.email),
      teams: teams.get(r.id) ?? [],
      fileCount: fileSizes.get(r.id)?.length ?? 0,
      totalBytes: r.total_bytes,
      contentBytes: (fileSizes.get(r.id) ?? []).reduce((sum, size) => sum + plaintextSizeOf(size), 0),
    }));
  }
}
