// What a live grant releases to its holder: SS (opened from its sealed form), the link slot, the encrypted
// manifest and the stored files. Built the same way when the grant is issued and when a client resumes with it.
import type { GrantedTransferResponse } from '@valise/protocol';
import type { Keystore } from '../keystore.js';
import { openServerShare } from '../transfers/server-share.js';
import type { TransferRepository, TransferRow } from '../transfers/transfer.repository.js';

type StoredFile = Awaited<ReturnType<TransferRepository['files']>>[number];

export function releaseTransfer(
  keystore: Keystore,
  transfer: TransferRow,
  files: readonly StoredFile[],
  grantExpiresAt: number,
): GrantedTransferResponse {
  if (transfer.ss_enc === null || transfer.link_slot === null || transfer.link_slot_id === null || transfer.manifest === null) {
    throw new Error(`transfer ${transfer.id} is ready but lacks its secrets`);
  }
  const share = openServerShare(keystore, transfer.id, { sealed: transfer.ss_enc, epoch: transfer.ss_epoch });
  return {
    grantExpiresAt,
    transferExpiresAt: transfer.expires_at ?? grantExpiresAt,
    serverShare: Buffer.from(share).toString('base64url'),
    linkSlot: { slotId: transfer.link_slot_id, wrapped: Buffer.from(transfer.link_slot).toString('base64url') },
    manifest: Buffer.from(transfer.manifest).toString('base64url'),
    files: files.map((f) => ({ fileId: f.id, ciphertextSize: f.ciphertext_size, partCount: f.part_count })),
  };
}
