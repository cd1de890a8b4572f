// Drop boxes (docs/format.md §13): a box signing key in the link, signed epoch box keys, box slots, and the box's
// private keys sealed to each owner's member key.
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../encoding/encoding.js';
import { ID_TEXT_LENGTH, type SlotIdBytes, type TransferIdBytes, idFromText, idToText, newId } from '../encoding/ids.js';
import { sha256 } from '../primitives/digest.js';
import { type ClientKey, SECRET_LENGTH } from '../transfer/transfer-keys.js';
import type { CertifiedMemberKey } from './certificate.js';
import { type KeyHolder, type SealTarget, keyHolder, sealTarget } from './key-holder.js';
import { HPKE_ENC_SIZE, KEM_PUBLIC_KEY_SIZE, type KemName, type KemPrivateKey, generateKemKeyPair, hpkeOpen, hpkeSeal, importKemPrivateKey } from './hpke.js';
import type { UnlockedMemberKeys } from './key-bundle.js';
import { checkKemName, preferredAlgorithms } from './member-key.js';
import { SIG_PUBLIC_KEY_SIZE, type SigName, type SigningKey, checkSigName, generateSigKeyPair, importSigningKey, sign, verifySignature } from './signing.js';
import { bytesField, canonicalBytes, field, invalid, parseCanonicalObject, timestampField, versionOne } from './strict-json.js';

const RECORD_TYPE = 'valise/drop-box-key';
const BUNDLE_TYPE = 'valise/drop-box-keys';
export const MAX_BOX_NAME_LENGTH = 200;

export interface BoxKeyRecord {
  readonly v: 1;
  readonly type: typeof RECORD_TYPE;
  readonly boxId: string;
  readonly epoch: number;
  readonly name: string;
  readonly kem: KemName;
  readonly kemPublicKey: string;
  readonly createdAt: string;
}

/** A box key a depositor may encrypt to: its record, verified against the link's box signing key. */
export interface VerifiedBoxKey {
  readonly record: BoxKeyRecord;
  readonly fingerprint: Bytes;
}

/** The box signing public key, from a link's fragment (43 characters: Ed25519; 87: ECDSA P-256). */
export interface BoxIdentity {
  readonly sig: SigName;
  readonly publicKey: Bytes;
}

export function boxLinkFragment(identity: BoxIdentity): string {
  return toBase64Url(identity.publicKey);
}

export function parseBoxLinkFragment(fragment: string): BoxIdentity {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  const sig: SigName | undefined = text.length === 43 ? 'Ed25519' : text.length === 87 ? 'ECDSA-P256' : undefined;
  if (!sig) throw new CryptoError('invalid_encoding', 'a drop-box link ends with the box key: 43 or 87 base64url characters');
  return { sig, publicKey: fromBase64Url(text, SIG_PUBLIC_KEY_SIZE[sig]) };
}

function checkBoxKeyRecord(o: Record<string, unknown>): BoxKeyRecord {
  const what = 'box key';
  versionOne(o, RECORD_TYPE, what);
  const boxId = field(o, 'boxId', what);
  if (boxId.length !== ID_TEXT_LENGTH) invalid(`${what}.boxId`, 'must be a 22-character id');
  bytesField(o, 'boxId', what, 16);
  const epoch = o['epoch'];
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 1) invalid(`${what}.epoch`, 'must be a whole number from 1');
  const name = field(o, 'name', what);
  if (name.length < 1 || name.length > MAX_BOX_NAME_LENGTH || name.trim() !== name) invalid(`${what}.name`, `must be 1 to ${MAX_BOX_NAME_LENGTH} characters, trimmed`);
  const kem = checkKemName(o['kem']);
  bytesField(o, 'kemPublicKey', what, KEM_PUBLIC_KEY_SIZE[kem]);
  return { v: 1, type: RECORD_TYPE, boxId, epoch, name, kem, kemPublicKey: field(o, 'kemPublicKey', what), createdAt: timestampField(o, 'createdAt', what) };
}

export function serializeBoxKeyRecord(record: BoxKeyRecord): Bytes {
  return canonicalBytes(checkBoxKeyRecord(record as unknown as Record<string, unknown>));
}

export function parseBoxKeyRecord(textOrBytes: string | Uint8Array): BoxKeyRecord {
  return checkBoxKeyRecord(parseCanonicalObject(textOrBytes, 'box key', ['boxId', 'createdAt', 'epoch', 'kem', 'kemPublicKey', 'name', 'type', 'v']));
}

export async function boxKeyFingerprint(record: BoxKeyRecord): Promise<Bytes> {
  return sha256(serializeBoxKeyRecord(record));
}

const recordMessage = (fingerprint: Uint8Array): Bytes => concatBytes(utf8('valise/v1/drop-box-key'), Uint8Array.of(0), fingerprint);

/**
 * What a depositor's client trusts: the record must be signed by the key in the link, for the box in the link, and
 * not older than an epoch already seen. Throws 'signature_invalid' / 'record_invalid' otherwise.
 */
export async function verifyBoxKey(
  identity: BoxIdentity, boxId: string, record: BoxKeyRecord, signature: Uint8Array, options: { minEpoch?: number } = {},
): Promise<VerifiedBoxKey> {
  if (record.boxId !== boxId) throw new CryptoError('record_invalid', 'the box key belongs to another box');
  if (record.epoch < (options.minEpoch ?? 1)) throw new CryptoError('record_invalid', 'the server offers an older box key than one already seen');
  const fingerprint = await boxKeyFingerprint(record);
  if (!(await verifySignature(identity.sig, identity.publicKey, recordMessage(fingerprint), signature))) {
    throw new CryptoError('signature_invalid', 'the box key is not signed by the key in the drop-box link');
  }
  return { record, fingerprint };
}

const boxSlotInfo = (transferId: TransferIdBytes, slotId: SlotIdBytes, fingerprint: Uint8Array): Bytes =>
  concatBytes(utf8('valise/v1/box-slot'), Uint8Array.of(0), transferId, slotId, fingerprint);

export const boxSlotSize = (kem: KemName): number => HPKE_ENC_SIZE[kem] + SECRET_LENGTH + 16;

/** The deposit's only slot: CK sealed to the verified box key. */
export async function sealBoxSlot(box: VerifiedBoxKey, transferId: TransferIdBytes, slotId: SlotIdBytes, ck: ClientKey): Promise<Bytes> {
  if (ck.length !== SECRET_LENGTH) throw new CryptoError('invalid_key', 'CK is 32 bytes');
  return hpkeSeal(box.record.kem, fromBase64Url(box.record.kemPublicKey), boxSlotInfo(transferId, slotId, box.fingerprint), ck);
}

/** The box's private keys, as an owner's client holds them once opened. */
export interface BoxKeys {
  readonly boxId: string;
  readonly identity: BoxIdentity;
  readonly signingKey: SigningKey;
  /** Per epoch: the signed record and the KEM private key. */
  readonly epochs: ReadonlyMap<number, { readonly key: VerifiedBoxKey; readonly kemKey: KemPrivateKey }>;
  /** The bundle's plaintext (§13.4), to seal to a new owner or extend with an epoch; wipe it when done. */
  readonly bundle: Bytes;
}

export async function openBoxSlot(keys: BoxKeys, epoch: number, transferId: TransferIdBytes, slotId: SlotIdBytes, slot: Uint8Array): Promise<ClientKey> {
  const e = keys.epochs.get(epoch);
  if (!e) throw new CryptoError('invalid_argument', `no key of epoch ${epoch} for this box`);
  if (slot.length !== boxSlotSize(e.key.record.kem)) throw new CryptoError('invalid_length', 'a box slot has the exact size of its KEM');
  return (await hpkeOpen(e.key.record.kem, e.kemKey, boxSlotInfo(transferId, slotId, e.key.fingerprint), slot)) as ClientKey;
}

/** A new box, made on its creator's client: the link's key, epoch 1, and the private bundle (sealed per owner next). */
export interface NewDropBox {
  readonly boxId: string;
  readonly identity: BoxIdentity;
  readonly record: BoxKeyRecord;
  readonly signature: Bytes;
  /** UTF-8 of the JCS bundle of §13.4: seal it to each owner at once (sealBoxKeysForOwner), then forget it. */
  readonly bundle: Bytes;
}

interface BundleEpoch {
  epoch: number;
  kem: KemName;
  kemPublicKey: string;
  kemPrivateKey: string;
}

export async function createDropBox(name: string, options: { kem?: KemName; sig?: SigName; now?: Date } = {}): Promise<NewDropBox> {
  const preferred = await preferredAlgorithms();
  const sig = options.sig ?? preferred.sig;
  const kem = options.kem ?? preferred.kem;
  const boxId = idToText(newId());
  const signing = await generateSigKeyPair(sig);
  const signingKey = await importSigningKey(sig, signing.privateKeyPkcs8);
  const kemPair = await generateKemKeyPair(kem);
  const record = checkBoxKeyRecord({
    v: 1, type: RECORD_TYPE, boxId, epoch: 1, name: name.trim(), kem, kemPublicKey: toBase64Url(kemPair.publicKey),
    createdAt: (options.now ?? new Date()).toISOString(),
  });
  const signature = await sign(signingKey, recordMessage(await boxKeyFingerprint(record)));
  const epochs: BundleEpoch[] = [{ epoch: 1, kem, kemPublicKey: record.kemPublicKey, kemPrivateKey: toBase64Url(kemPair.privateKeyPkcs8) }];
  const bundle = canonicalBytes({
    v: 1, type: BUNDLE_TYPE, boxId, sig, sigPublicKey: toBase64Url(signing.publicKey), sigPrivateKey: toBase64Url(signing.privateKeyPkcs8), epochs,
  });
  signing.privateKeyPkcs8.fill(0);
  kemPair.privateKeyPkcs8.fill(0);
  return { boxId, identity: { sig, publicKey: signing.publicKey }, record, signature, bundle };
}

const ownerInfo = (boxId: string, ownerFingerprint: Uint8Array): Bytes =>
  concatBytes(utf8('valise/v1/box-owner'), Uint8Array.of(0), idFromText(boxId), ownerFingerprint);

/**
 * ownerCt = HPKE-Seal(owner key, "valise/v1/box-owner" ‖ 0x00 ‖ boxId ‖ fp, bundle). The owner is a member's
 * certified key, or a team's key of one epoch (§13.5).
 */
export async function sealBoxKeysForOwner(owner: CertifiedMemberKey | SealTarget, boxId: string, bundle: Uint8Array): Promise<Bytes> {
  const target = sealTarget(owner);
  return hpkeSeal(target.kem, fromBase64Url(target.kemPublicKey), ownerInfo(boxId, target.fingerprint), bundle);
}

/**
 * Opens this owner's copy of the box keys and checks it: the signing key is `identity` (the box's, from its link or
 * the box list), and each epoch's public key is that of a record signed with it (`records`: epoch → record + sig).
 */
export async function openBoxKeys(
  owner: UnlockedMemberKeys | KeyHolder, boxId: string, ownerCt: Uint8Array, identity: BoxIdentity,
  records: ReadonlyMap<number, { record: BoxKeyRecord; signature: Uint8Array }>,
): Promise<BoxKeys> {
  const me = keyHolder(owner);
  const plaintext = await hpkeOpen(me.kem, me.kemKey, ownerInfo(boxId, me.fingerprint), ownerCt);
  try {
    const what = 'box keys';
    const b = parseCanonicalObject(fromUtf8(plaintext), what, ['boxId', 'epochs', 'sig', 'sigPrivateKey', 'sigPublicKey', 'type', 'v']);
    versionOne(b, BUNDLE_TYPE, what);
    const sig = checkSigName(b['sig']);
    if (field(b, 'boxId', what) !== boxId || sig !== identity.sig || field(b, 'sigPublicKey', what) !== toBase64Url(identity.publicKey)) {
      throw new CryptoError('record_invalid', 'these box keys are not those of this box');
    }
    const list = b['epochs'];
    if (!Array.isArray(list) || list.length === 0) invalid(`${what}.epochs`, 'must list at least one epoch');
    const epochs = new Map<number, { key: VerifiedBoxKey; kemKey: KemPrivateKey }>();
    for (const item of list as Record<string, unknown>[]) {
      const epoch = item['epoch'];
      const kem = checkKemName(item['kem']);
      const signed = typeof epoch === 'number' ? records.get(epoch) : undefined;
      if (!signed) throw new CryptoError('record_invalid', 'a box key epoch has no signed record');
      const key = await verifyBoxKey(identity, boxId, signed.record, signed.signature);
      if (key.record.kem !== kem || key.record.kemPublicKey !== field(item, 'kemPublicKey', what)) throw new CryptoError('record_invalid', 'a box key does not match its signed record');
      const pkcs8 = bytesField(item, 'kemPrivateKey', what);
      epochs.set(key.record.epoch, { key, kemKey: await importKemPrivateKey(kem, pkcs8) });
      pkcs8.fill(0);
    }
    const sigPkcs8 = bytesField(b, 'sigPrivateKey', what);
    const signingKey = await importSigningKey(sig, sigPkcs8);
    sigPkcs8.fill(0);
    return { boxId, identity, signingKey, epochs, bundle: plaintext };
  } catch (e) {
    plaintext.fill(0);
    throw e;
  }
}

/**
 * A new box key epoch (a team's owners changed, §13.5): a fresh KEM key pair, its record signed with the box signing
 * key, and the bundle with every epoch, to seal to the new owner key. Deposits made from now on use this epoch.
 */
export async function addBoxEpoch(keys: BoxKeys, options: { now?: Date } = {}): Promise<{ record: BoxKeyRecord; signature: Bytes; bundle: Bytes }> {
  const latest = [...keys.epochs.values()].reduce((a, b) => (a.key.record.epoch > b.key.record.epoch ? a : b)).key.record;
  const kemPair = await generateKemKeyPair(latest.kem);
  const record = checkBoxKeyRecord({
    v: 1, type: RECORD_TYPE, boxId: keys.boxId, epoch: latest.epoch + 1, name: latest.name, kem: latest.kem,
    kemPublicKey: toBase64Url(kemPair.publicKey), createdAt: (options.now ?? new Date()).toISOString(),
  });
  const signature = await sign(keys.signingKey, recordMessage(await boxKeyFingerprint(record)));
  const bundle = JSON.parse(fromUtf8(keys.bundle)) as { epochs: BundleEpoch[] };
  bundle.epochs.push({ epoch: record.epoch, kem: record.kem, kemPublicKey: record.kemPublicKey, kemPrivateKey: toBase64Url(kemPair.privateKeyPkcs8) });
  kemPair.privateKeyPkcs8.fill(0);
  return { record, signature, bundle: canonicalBytes(bundle) };
}
