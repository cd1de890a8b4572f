// Opening a transfer sent to this member's key (docs/format.md §12): no link. The member's slot gives CK, the server
// (to a signed-in member only) gives SS; the sender's signature over the manifest is checked against the sender's
// certified, pinned key before anything is shown.
import {
  type ChunkAead, type CertifiedMemberKey, type ClientKey, type TransferIdBytes, type UnlockedMemberKeys, decryptManifest, deriveTransferKey,
  fromBase64Url, idFromText, isCryptoError, openMemberSlot, openTeamSlot, secretFromBase64Url, serializeManifest, toBase64Url,
  verifyManifestSignature,
} from '@valise/crypto';
import type { MemberOpenResponse, TeamOpenResponse } from '@valise/protocol';
import type { ValiseApi } from './api-client.js';
import { type OpenedTransfer, checkManifestAgainstGrant } from './download.js';
import { IntegrityError } from './integrity-error.js';
import { type ContactPins, type MemberKeysApi, resolveContact } from './member-keys.js';
import { openMyTeam } from './teams.js';

export interface OpenedMemberTransfer extends OpenedTransfer {
  /** The sender, whose signature over the manifest verified under their organisation-certified key. */
  readonly sender: { readonly memberId: string; readonly email: string; readonly fingerprint: Uint8Array };
}

export interface OpenMemberOptions {
  readonly api: ValiseApi & MemberKeysApi;
  readonly serverUrl: string;
  readonly transferId: string;
  /** The member's own unlocked keys. */
  readonly me: UnlockedMemberKeys;
  readonly orgPublicKey: Uint8Array | null;
  readonly pins: ContactPins;
  /** The sender's key changed since it was pinned and the person accepted it. */
  readonly acceptChangedSenderKey?: boolean;
  readonly aead?: ChunkAead;
  readonly signal?: AbortSignal;
}

/** Opens (a recipient's first open consumes one download) and decrypts the manifest; then downloadTransfer(). */
export async function openMemberTransfer(o: OpenMemberOptions): Promise<OpenedMemberTransfer> {
  const released = await o.api.openInboxTransfer(o.transferId, { signal: o.signal });
  return openSigned(o, released, (tid) => openMemberSlot(o.me, tid, idFromText<'SlotId'>(released.memberSlot.slotId), fromBase64Url(released.memberSlot.wrapped)));
}

export interface OpenedTeamTransfer extends OpenedMemberTransfer {
  readonly team: { readonly teamId: string; readonly name: string };
}

/** A transfer sent to one of the member's teams: its team slot opens with the team key of the slot's epoch. */
export async function openTeamTransfer(o: OpenMemberOptions): Promise<OpenedTeamTransfer> {
  const released = await o.api.openTeamTransfer(o.transferId, { signal: o.signal });
  const { keys } = await openMyTeam(o.api, o.me, o.orgPublicKey, released.team.teamId);
  try {
    const opened = await openSigned(o, released, (tid) => openTeamSlot(keys, released.teamSlot.epoch, tid, idFromText<'SlotId'>(released.teamSlot.slotId), fromBase64Url(released.teamSlot.wrapped)));
    return { ...opened, team: released.team };
  } finally {
    keys.bundle.fill(0);
  }
}

type Released = MemberOpenResponse | TeamOpenResponse;

/** CK from the slot, TK with SS, the manifest decrypted, and the sender's signature checked under their pinned key. */
async function openSigned(o: OpenMemberOptions, released: Released, openSlot: (tid: TransferIdBytes) => Promise<ClientKey>): Promise<OpenedMemberTransfer> {
  const tid = idFromText<'TransferId'>(o.transferId);
  // Whose key signed it: our own (our self slot) or a colleague's, certified by the organisation and pinned.
  const sender: CertifiedMemberKey = released.sender.memberId === o.me.record.memberId
    ? { record: o.me.record, fingerprint: o.me.fingerprint }
    : (await resolveContact(o.api, o.orgPublicKey, o.pins, { memberId: released.sender.memberId }, { acceptChange: o.acceptChangedSenderKey ?? false })).key;
  if (sender.record.email !== released.sender.email.toLowerCase() || released.manifestSignature.signerFingerprint !== toBase64Url(sender.fingerprint)) {
    throw new IntegrityError('signature_invalid', 'the transfer is not signed by the sender the server names');
  }
  let manifest;
  try {
    const ck = await openSlot(tid);
    const tk = await deriveTransferKey(ck, secretFromBase64Url<'ServerShare'>(released.serverShare), tid);
    ck.fill(0);
    try {
      manifest = await decryptManifest(tk, tid, fromBase64Url(released.manifest), o.aead ? { aead: o.aead } : {});
    } finally {
      tk.fill(0);
    }
  } catch (e) {
    if (isCryptoError(e, 'manifest_invalid')) throw new IntegrityError('manifest_invalid', 'the list of files of this transfer is not valid', { cause: e });
    if (isCryptoError(e)) throw new IntegrityError('decryption_failed', 'the transfer could not be decrypted with your keys', { cause: e });
    throw e;
  }
  const signature = fromBase64Url(released.manifestSignature.signature);
  if (!(await verifyManifestSignature(sender, tid, serializeManifest(manifest), signature))) {
    throw new IntegrityError('signature_invalid', `the transfer's signature does not verify under the key of ${sender.record.email}`);
  }
  checkManifestAgainstGrant(manifest, released);
  return {
    serverUrl: o.serverUrl,
    transferId: o.transferId,
    grantToken: released.grantToken,
    grantExpiresAt: released.grantExpiresAt,
    transferExpiresAt: released.transferExpiresAt,
    manifest,
    api: o.api,
    sender: { memberId: sender.record.memberId, email: sender.record.email, fingerprint: sender.fingerprint },
  };
}
