// The sender's view of a purged transfer's deletion record: what was deleted, when, why, and the storage's word.
import type { CloseReason, DeletionRecord } from '@valise/protocol';
import type { DatabaseHandle } from '../db/database.js';
import { AppError } from '../http/errors.js';
import { TransferRepository } from '../transfers/transfer.repository.js';
import type { Sender } from '../transfers/transfer.service.js';
import { DeletionRecordRepository, deletionFactsOf } from './deletion-record.repository.js';

export class DeletionRecordService {
  readonly #transfers: TransferRepository;
  readonly #records: DeletionRecordRepository;

  constructor(deps: { readonly handle: DatabaseHandle }) {
    this.#transfers = new TransferRepository(deps.handle);
    this.#records = new DeletionRecordRepository(deps.handle);
  }

  /** Someone else's transfer answers like one that does not exist; one not purged yet has no record to show. */
  async forSender(sender: Sender, transferId: string): Promise<DeletionRecord> {
    const transfer = await this.#transfers.findOwned(transferId, sender.id);
    if (!transfer) throw new AppError('not_found');
    const row = await this.#records.find(transferId);
    if (!row) {
      throw new AppError('not_found', {
        detail: `This transfer is ${transfer.state}, not purged yet: its deletion record is written when its files are deleted.`,
      });
    }
    const facts = deletionFactsOf(row);
    return {
      ...facts,
      transferId: row.transfer_id,
      reason: facts.reason as CloseReason,
      // Only the fields the API names, whatever else a stored part may carry.
      parts: facts.parts.map((p) => ({ file: p.file, index: p.index, blobKey: p.blobKey, size: p.size, sha256: p.sha256, goneAt: p.goneAt })),
    };
  }
}
