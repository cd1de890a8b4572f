// What a sender sees of their transfers: the list, and one transfer with its access log.
import { plaintextSizeOf } from '@valise/crypto';
import type { CloseReason, TransferDetail, TransferList, TransferSummary } from '@valise/protocol';
import type { DatabaseHandle } from '../db/database.js';
import { AccessEventRepository } from '../gate/access-event.repository.js';
import { AppError } from '../http/errors.js';
import { TransferRepository, type TransferRow } from './transfer.repository.js';
import type { Sender } from './transfer.service.js';

const CLOSE_REASONS: readonly string[] = ['expired', 'exhausted', 'revoked', 'abandoned', 'downloaded'];

export class TransferViewService {
  readonly #transfers: TransferRepository;
  readonly #events: AccessEventRepository;

  constructor(deps: { readonly handle: DatabaseHandle }) {
    this.#transfers = new TransferRepository(deps.handle);
    this.#events = new AccessEventRepository(deps.handle);
  }

  /** The sender's transfers, newest first, tombstones included (they say what was sent to whom, and when). */
  async list(sender: Sender): Promise<TransferList> {
    return { transfers: await this.#summaries(await this.#transfers.listBySender(sender.id)) };
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
