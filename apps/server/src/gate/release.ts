// What a live grant releases to its holder: SS (opened from its sealed form), the encrypted manifest and the stored
// files, with what opens CK for this holder: the link slot (releaseTransfer), the member's own slot with the
// sender's manifest signature (releaseToMember), or a deposit's box slot with its depositor (releaseDeposit). Built
// the same way when the grant is issued and when a client resumes with it.
import type { DepositOpenResponse, GrantedTransferResponse, MemberOpenResponse, TeamOpenResponse } from '@valise/protocol';
import type { Keystore } from '../keystore.js';
import { openServerShare } from '../transfers/server-share.js';
import type { TransferRepository, TransferRow } from '../transfers/transfer.repository.js';

type StoredFile = Awaited<ReturnType<TransferRepository['files']>>[number];

/** What every release holds. */
type CommonRelease = Pick<GrantedTransferResponse, 'grantExpiresAt' | 'transferExpiresAt' | 'serverShare' | 'manifest' | 'files'>;

function releaseCommon(keystore: Keystore, transfer: TransferRow, files: readonly StoredFile[], grantExpiresAt: number): CommonRelease {
  if (transfer.ss_enc === null || transfer.manifest === null) throw new Error(`transfer ${transfer.id} is ready but lacks its secrets`);
  const share = openServerShare(keystore, transfer.id, { sealed: transfer.ss_enc, epoch: transfer.ss_epoch });
  return {
    grantExpiresAt,
    transferExpiresAt: transfer.expires_at ?? grantExpiresAt,
    serverShare: Buffer.from(share).toString('base64url'),
    manifest: Buffer.from(transfer.manifest).toString('base64url'),
    files: files.map((f) => ({ fileId: f.id, ciphertextSize: f.ciphertext_size, partCount: f.part_count })),
  };
}

/** To a holder who came through the link: the link slot. */
export function releaseTransfer(
  keystore: Keystore,
  transfer: TransferRow,
  files: readonly StoredFile[],
  grantExpiresAt: number,
): GrantedTransferResponse {
  if (transfer.link_slot === null || transfer.link_slot_id === null) throw new Error(`transfer ${transfer.id} is ready but lacks its secrets`);
  const common = releaseCommon(keystore, transfer, files, grantExpiresAt);
  return {
    grantExpiresAt: common.grantExpiresAt,
    transferExpiresAt: common.transferExpiresAt,
    serverShare: common.serverShare,
    linkSlot: { slotId: transfer.link_slot_id, wrapped: Buffer.from(transfer.link_slot).toString('base64url') },
    manifest: common.manifest,
    files: common.files,
  };
}

/** The member's own slot, as stored at finalize. */
export interface ReleasedSlot {
  readonly slot_id: string;
  readonly wrapped: Uint8Array;
}

/** A member's or team's open: the common part plus the sender's manifest signature, which such transfers carry. */
function releaseSigned(keystore: Keystore, transfer: TransferRow, files: readonly StoredFile[], grantExpiresAt: number, slotKind: string) {
  if (transfer.manifest_signature === null || transfer.signer_fingerprint === null) {
    throw new Error(`transfer ${transfer.id} has ${slotKind} slots but no manifest signature`);
  }
  const { grantExpiresAt: grantEnd, transferExpiresAt, serverShare, manifest, files: released } = releaseCommon(keystore, transfer, files, grantExpiresAt);
  const manifestSignature = {
    signerFingerprint: Buffer.from(transfer.signer_fingerprint).toString('base64url'),
    signature: Buffer.from(transfer.manifest_signature).toString('base64url'),
  };
  return { grantExpiresAt: grantEnd, transferExpiresAt, serverShare, manifest, manifestSignature, files: released };
}

/** To a member opening from their inbox: their own member slot, the manifest signature and who signed it. */
export function releaseToMember(
  keystore: Keystore,
  transfer: TransferRow,
  files: readonly StoredFile[],
  grantExpiresAt: number,
  slot: ReleasedSlot,
  sender: { readonly memberId: string; readonly email: string },
): Omit<MemberOpenResponse, 'grantToken'> {
  return {
    ...releaseSigned(keystore, transfer, files, grantExpiresAt, 'member'),
    memberSlot: { slotId: slot.slot_id, wrapped: Buffer.from(slot.wrapped).toString('base64url') },
    sender,
  };
}

/** The team slot of a transfer sent to a team, as stored at finalize. */
export interface ReleasedTeamSlot {
  readonly teamId: string;
  readonly teamName: string;
  readonly slotId: string;
  readonly epoch: number;
  readonly wrapped: Uint8Array;
}

/** To a member of a team the transfer was sent to: the team slot (opened with the team key of its epoch). */
export function releaseToTeam(
  keystore: Keystore,
  transfer: TransferRow,
  files: readonly StoredFile[],
  grantExpiresAt: number,
  slot: ReleasedTeamSlot,
  sender: { readonly memberId: string; readonly email: string },
): Omit<TeamOpenResponse, 'grantToken'> {
  return {
    ...releaseSigned(keystore, transfer, files, grantExpiresAt, 'team'),
    team: { teamId: slot.teamId, name: slot.teamName },
    teamSlot: { teamId: slot.teamId, slotId: slot.slotId, epoch: slot.epoch, wrapped: Buffer.from(slot.wrapped).toString('base64url') },
    sender,
  };
}

/**
 * To an owner of a drop box opening a deposit from their inbox: the box slot (opened with the box key of its epoch,
 * which the owner's client holds) and the depositor as the server verified them: an address, nothing more.
 */
export function releaseDeposit(
  keystore: Keystore,
  transfer: TransferRow,
  files: readonly StoredFile[],
  grantExpiresAt: number,
  /** A team's box: the team and the box keys sealed to its current key. */
  ownerTeam: DepositOpenResponse['ownerTeam'] = null,
): Omit<DepositOpenResponse, 'grantToken'> {
  const { box_id: boxId, box_slot: slot, box_slot_id: slotId, box_slot_epoch: epoch, depositor_email: email, depositor_name: name } = transfer;
  if (boxId === null || slot === null || slotId === null || epoch === null || email === null || name === null) {
    throw new Error(`deposit ${transfer.id} is ready but lacks its box slot or depositor`);
  }
  const common = releaseCommon(keystore, transfer, files, grantExpiresAt);
  return {
    grantExpiresAt: common.grantExpiresAt,
    transferExpiresAt: common.transferExpiresAt,
    serverShare: common.serverShare,
    boxId,
    boxSlot: { slotId, epoch, wrapped: Buffer.from(slot).toString('base64url') },
    manifest: common.manifest,
    depositor: { email, name, verified: 'email' },
    files: common.files,
    ownerTeam,
  };
}
