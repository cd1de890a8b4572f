// Member slots (§12.1): CK sealed with HPKE to a member's certified KEM key, bound to transfer, slot and key.
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, fromBase64Url, utf8 } from '../encoding/encoding.js';
import type { SlotIdBytes, TransferIdBytes } from '../encoding/ids.js';
import { type ClientKey, SECRET_LENGTH } from '../transfer/transfer-keys.js';
import type { CertifiedMemberKey } from './certificate.js';
import { HPKE_ENC_SIZE, type KemName, hpkeOpen, hpkeSeal } from './hpke.js';
import type { UnlockedMemberKeys } from './key-bundle.js';

/** enc ‖ Seal(CK) ‖ tag: 80 bytes for X25519, 113 for P-256. */
export const memberSlotSize = (kem: KemName): number => HPKE_ENC_SIZE[kem] + SECRET_LENGTH + 16;

function slotInfo(transferId: TransferIdBytes, slotId: SlotIdBytes, fingerprint: Uint8Array): Bytes {
  return concatBytes(utf8('valise/v1/member-slot'), Uint8Array.of(0), transferId, slotId, fingerprint);
}

/** Seals CK to a recipient whose key the caller has already checked (checkCertifiedMemberKey). */
export async function sealMemberSlot(recipient: CertifiedMemberKey, transferId: TransferIdBytes, slotId: SlotIdBytes, ck: ClientKey): Promise<Bytes> {
  if (ck.length !== SECRET_LENGTH) throw new CryptoError('invalid_key', 'CK is 32 bytes');
  const { kem, kemPublicKey } = recipient.record;
  return hpkeSeal(kem, fromBase64Url(kemPublicKey), slotInfo(transferId, slotId, recipient.fingerprint), ck);
}

/** Opens a slot addressed to `me`; any other transfer, slot id or key fails ('authentication_failed'). */
export async function openMemberSlot(me: UnlockedMemberKeys, transferId: TransferIdBytes, slotId: SlotIdBytes, slot: Uint8Array): Promise<ClientKey> {
  const { kem } = me.record;
  if (slot.length !== memberSlotSize(kem)) throw new CryptoError('invalid_length', `a ${kem} member slot is exactly ${memberSlotSize(kem)} bytes`);
  return (await hpkeOpen(kem, me.kemKey, slotInfo(transferId, slotId, me.fingerprint), slot)) as ClientKey;
}
