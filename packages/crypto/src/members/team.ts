// Team mailboxes (docs/format.md §13.5): a team's identity certified by the organisation, its epoch keys signed by
// the team signing key, every key sealed to each current member; team slots for transfers sent to the team.
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../encoding/encoding.js';
import { ID_TEXT_LENGTH, type SlotIdBytes, type TransferIdBytes, idFromText, idToText, newId } from '../encoding/ids.js';
import { sha256 } from '../primitives/digest.js';
import { type ClientKey, SECRET_LENGTH } from '../transfer/transfer-keys.js';
import type { CertifiedMemberKey } from './certificate.js';
import { HPKE_ENC_SIZE, KEM_PUBLIC_KEY_SIZE, type KemName, type KemPrivateKey, generateKemKeyPair, hpkeOpen, hpkeSeal, importKemPrivateKey } from './hpke.js';
import type { UnlockedMemberKeys } from './key-bundle.js';
import { type KeyHolder, type SealTarget, keyHolder, sealTarget } from './key-holder.js';
import { checkKemName, preferredAlgorithms } from './member-key.js';
import { SIG_PUBLIC_KEY_SIZE, type SigName, type SigningKey, checkSigName, generateSigKeyPair, importSigningKey, sign, verifySignature } from './signing.js';
import { bytesField, canonicalBytes, field, invalid, parseCanonicalObject, timestampField, versionOne } from './strict-json.js';

const TEAM_TYPE = 'valise/team';
const TEAM_KEY_TYPE = 'valise/team-key';
const TEAM_BUNDLE_TYPE = 'valise/team-keys';
export const MAX_TEAM_NAME_LENGTH = 200;

export interface TeamRecord {
  readonly v: 1;
  readonly type: typeof TEAM_TYPE;
  readonly teamId: string;
  readonly name: string;
  readonly sig: SigName;
  readonly sigPublicKey: string;
  readonly createdAt: string;
}

export interface TeamKeyRecord {
  readonly v: 1;
  readonly type: typeof TEAM_KEY_TYPE;
  readonly teamId: string;
  readonly epoch: number;
  readonly kem: KemName;
  readonly kemPublicKey: string;
  readonly createdAt: string;
}

export interface CertifiedTeam {
  readonly record: TeamRecord;
  readonly fingerprint: Bytes;
}

/** A team key of one epoch, signed by the certified team: something to seal to (SealTarget). */
export interface VerifiedTeamKey extends SealTarget {
  readonly record: TeamKeyRecord;
  readonly fingerprint: Bytes;
}

function idField(o: Record<string, unknown>, key: string, what: string): string {
  const id = field(o, key, what);
  if (id.length !== ID_TEXT_LENGTH) invalid(`${what}.${key}`, 'must be a 22-character id');
  bytesField(o, key, what, 16);
  return id;
}

function checkTeamRecord(o: Record<string, unknown>): TeamRecord {
  const what = 'team';
  versionOne(o, TEAM_TYPE, what);
  const teamId = idField(o, 'teamId', what);
  const name = field(o, 'name', what);
  if (name.length < 1 || name.length > MAX_TEAM_NAME_LENGTH || name.trim() !== name) invalid(`${what}.name`, `must be 1 to ${MAX_TEAM_NAME_LENGTH} characters, trimmed`);
  const sig = checkSigName(o['sig']);
  bytesField(o, 'sigPublicKey', what, SIG_PUBLIC_KEY_SIZE[sig]);
  return { v: 1, type: TEAM_TYPE, teamId, name, sig, sigPublicKey: field(o, 'sigPublicKey', what), createdAt: timestampField(o, 'createdAt', what) };
}

function checkTeamKeyRecord(o: Record<string, unknown>): TeamKeyRecord {
  const what = 'team key';
  versionOne(o, TEAM_KEY_TYPE, what);
  const teamId = idField(o, 'teamId', what);
  const epoch = o['epoch'];
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 1) invalid(`${what}.epoch`, 'must be a whole number from 1');
  const kem = checkKemName(o['kem']);
  bytesField(o, 'kemPublicKey', what, KEM_PUBLIC_KEY_SIZE[kem]);
  return { v: 1, type: TEAM_KEY_TYPE, teamId, epoch, kem, kemPublicKey: field(o, 'kemPublicKey', what), createdAt: timestampField(o, 'createdAt', what) };
}

export const serializeTeamRecord = (r: TeamRecord): Bytes => canonicalBytes(checkTeamRecord(r as unknown as Record<string, unknown>));
export const serializeTeamKeyRecord = (r: TeamKeyRecord): Bytes => canonicalBytes(checkTeamKeyRecord(r as unknown as Record<string, unknown>));
export const parseTeamRecord = (t: string | Uint8Array): TeamRecord =>
  checkTeamRecord(parseCanonicalObject(t, 'team', ['createdAt', 'name', 'sig', 'sigPublicKey', 'teamId', 'type', 'v']));
export const parseTeamKeyRecord = (t: string | Uint8Array): TeamKeyRecord =>
  checkTeamKeyRecord(parseCanonicalObject(t, 'team key', ['createdAt', 'epoch', 'kem', 'kemPublicKey', 'teamId', 'type', 'v']));
export const teamFingerprint = async (r: TeamRecord): Promise<Bytes> => sha256(serializeTeamRecord(r));
export const teamKeyFingerprint = async (r: TeamKeyRecord): Promise<Bytes> => sha256(serializeTeamKeyRecord(r));

const labelled = (label: string, fingerprint: Uint8Array): Bytes => concatBytes(utf8(label), Uint8Array.of(0), fingerprint);

/** certificate = Ed25519-Sign(orgKey, "valise/v1/team-certificate" ‖ 0x00 ‖ teamFingerprint). */
export async function certifyTeam(orgKey: SigningKey, record: TeamRecord): Promise<Bytes> {
  if (orgKey.sig !== 'Ed25519') throw new CryptoError('invalid_key', 'the organisation key is Ed25519');
  return sign(orgKey, labelled('valise/v1/team-certificate', await teamFingerprint(record)));
}

/** A team a client may trust: certified by the pinned organisation key, and the team asked for. */
export async function checkCertifiedTeam(orgPublicKey: Uint8Array, record: TeamRecord, certificate: Uint8Array | null, teamId: string): Promise<CertifiedTeam> {
  if (record.teamId !== teamId) throw new CryptoError('record_invalid', 'the record is another team\'s');
  const fingerprint = await teamFingerprint(record);
  if (!certificate || !(await verifySignature('Ed25519', orgPublicKey, labelled('valise/v1/team-certificate', fingerprint), certificate))) {
    throw new CryptoError('signature_invalid', 'the team is not signed by the organisation key');
  }
  return { record, fingerprint };
}

/** A team key of one epoch, verified: signed by the certified team's signing key, not older than one already seen. */
export async function verifyTeamKey(team: CertifiedTeam, record: TeamKeyRecord, signature: Uint8Array, options: { minEpoch?: number } = {}): Promise<VerifiedTeamKey> {
  if (record.teamId !== team.record.teamId) throw new CryptoError('record_invalid', 'the key is another team\'s');
  if (record.epoch < (options.minEpoch ?? 1)) throw new CryptoError('record_invalid', 'the server offers an older team key than one already seen');
  const fingerprint = await teamKeyFingerprint(record);
  const ok = await verifySignature(team.record.sig, fromBase64Url(team.record.sigPublicKey), labelled('valise/v1/team-key', fingerprint), signature);
  if (!ok) throw new CryptoError('signature_invalid', 'the team key is not signed by the team');
  return { record, fingerprint, kem: record.kem, kemPublicKey: record.kemPublicKey };
}

interface BundleEpoch {
  epoch: number;
  kem: KemName;
  kemPublicKey: string;
  kemPrivateKey: string;
}

/** A new team, made on its first member's client: its record (to certify), epoch 1 signed, and the private bundle. */
export interface NewTeam {
  readonly record: TeamRecord;
  readonly key: { readonly record: TeamKeyRecord; readonly signature: Bytes };
  /** UTF-8 of the JCS bundle (§13.5): seal it to each member (sealTeamKeysForMember), then wipe it. */
  readonly bundle: Bytes;
}

async function newEpoch(teamId: string, epoch: number, kem: KemName, signingKey: SigningKey, now: Date) {
  const pair = await generateKemKeyPair(kem);
  const record = checkTeamKeyRecord({ v: 1, type: TEAM_KEY_TYPE, teamId, epoch, kem, kemPublicKey: toBase64Url(pair.publicKey), createdAt: now.toISOString() });
  const signature = await sign(signingKey, labelled('valise/v1/team-key', await teamKeyFingerprint(record)));
  const entry: BundleEpoch = { epoch, kem, kemPublicKey: record.kemPublicKey, kemPrivateKey: toBase64Url(pair.privateKeyPkcs8) };
  pair.privateKeyPkcs8.fill(0);
  return { record, signature, entry };
}

export async function createTeam(name: string, options: { kem?: KemName; sig?: SigName; now?: Date } = {}): Promise<NewTeam> {
  const preferred = await preferredAlgorithms();
  const sig = options.sig ?? preferred.sig;
  const kem = options.kem ?? preferred.kem;
  const now = options.now ?? new Date();
  const teamId = idToText(newId());
  const signing = await generateSigKeyPair(sig);
  const record = checkTeamRecord({ v: 1, type: TEAM_TYPE, teamId, name: name.trim(), sig, sigPublicKey: toBase64Url(signing.publicKey), createdAt: now.toISOString() });
  const signingKey = await importSigningKey(sig, signing.privateKeyPkcs8);
  const first = await newEpoch(teamId, 1, kem, signingKey, now);
  const bundle = canonicalBytes({
    v: 1, type: TEAM_BUNDLE_TYPE, teamId, sig, sigPublicKey: record.sigPublicKey, sigPrivateKey: toBase64Url(signing.privateKeyPkcs8), epochs: [first.entry],
  });
  signing.privateKeyPkcs8.fill(0);
  return { record, key: { record: first.record, signature: first.signature }, bundle };
}

const memberInfo = (teamId: string, memberFingerprint: Uint8Array): Bytes =>
  concatBytes(utf8('valise/v1/team-member'), Uint8Array.of(0), idFromText(teamId), memberFingerprint);

/** memberCt = HPKE-Seal(member's certified key, "valise/v1/team-member" ‖ 0x00 ‖ teamId ‖ fp, bundle). */
export async function sealTeamKeysForMember(member: CertifiedMemberKey, teamId: string, bundle: Uint8Array): Promise<Bytes> {
  const target = sealTarget(member);
  return hpkeSeal(target.kem, fromBase64Url(target.kemPublicKey), memberInfo(teamId, target.fingerprint), bundle);
}

/** The team's private keys on a member's client. */
export interface TeamKeys {
  readonly team: CertifiedTeam;
  readonly signingKey: SigningKey;
  readonly epochs: ReadonlyMap<number, { readonly key: VerifiedTeamKey; readonly holder: KeyHolder }>;
  /** The newest epoch: what transfers and box keys are sealed to now. */
  readonly current: VerifiedTeamKey;
  /** The bundle's plaintext, to seal to a new member or extend with an epoch; wipe it when done. */
  readonly bundle: Bytes;
}

/**
 * Opens this member's copy of the team keys; the bundle must be the certified team's (its signing key) and each
 * epoch's public key that of a record signed by the team.
 */
export async function openTeamKeys(
  me: UnlockedMemberKeys | KeyHolder, team: CertifiedTeam, memberCt: Uint8Array,
  records: ReadonlyMap<number, { record: TeamKeyRecord; signature: Uint8Array }>,
): Promise<TeamKeys> {
  const holder = keyHolder(me);
  const teamId = team.record.teamId;
  const plaintext = await hpkeOpen(holder.kem, holder.kemKey, memberInfo(teamId, holder.fingerprint), memberCt);
  try {
    const what = 'team keys';
    const b = parseCanonicalObject(fromUtf8(plaintext), what, ['epochs', 'sig', 'sigPrivateKey', 'sigPublicKey', 'teamId', 'type', 'v']);
    versionOne(b, TEAM_BUNDLE_TYPE, what);
    const sig = checkSigName(b['sig']);
    if (field(b, 'teamId', what) !== teamId || sig !== team.record.sig || field(b, 'sigPublicKey', what) !== team.record.sigPublicKey) {
      throw new CryptoError('record_invalid', 'these keys are not the team\'s');
    }
    const list = b['epochs'];
    if (!Array.isArray(list) || list.length === 0) invalid(`${what}.epochs`, 'must list at least one epoch');
    const epochs = new Map<number, { key: VerifiedTeamKey; holder: KeyHolder }>();
    for (const item of list as Record<string, unknown>[]) {
      const epoch = item['epoch'];
      const signed = typeof epoch === 'number' ? records.get(epoch) : undefined;
      if (!signed || epochs.has(epoch as number)) throw new CryptoError('record_invalid', 'a team key epoch has no signed record');
      const key = await verifyTeamKey(team, signed.record, signed.signature);
      if (key.record.kem !== checkKemName(item['kem']) || key.record.kemPublicKey !== field(item, 'kemPublicKey', what)) {
        throw new CryptoError('record_invalid', 'a team key does not match its signed record');
      }
      const pkcs8 = bytesField(item, 'kemPrivateKey', what);
      const kemKey: KemPrivateKey = await importKemPrivateKey(key.record.kem, pkcs8);
      pkcs8.fill(0);
      epochs.set(key.record.epoch, { key, holder: { kem: key.record.kem, kemKey, fingerprint: key.fingerprint } });
    }
    const sigPkcs8 = bytesField(b, 'sigPrivateKey', what);
    const signingKey = await importSigningKey(sig, sigPkcs8);
    sigPkcs8.fill(0);
    const current = [...epochs.values()].reduce((a, c) => (a.key.record.epoch > c.key.record.epoch ? a : c)).key;
    return { team, signingKey, epochs, current, bundle: plaintext };
  } catch (e) {
    plaintext.fill(0);
    throw e;
  }
}

/**
 * A member leaves: a new epoch, signed by the team, added to the bundle — seal the result to every remaining member
 * (and re-key the team's boxes: addBoxEpoch, sealed to the new epoch). Files are never re-encrypted.
 */
export async function addTeamEpoch(keys: TeamKeys, options: { now?: Date } = {}): Promise<{ key: { record: TeamKeyRecord; signature: Bytes }; verified: VerifiedTeamKey; bundle: Bytes }> {
  const next = await newEpoch(keys.team.record.teamId, keys.current.record.epoch + 1, keys.current.record.kem, keys.signingKey, options.now ?? new Date());
  const bundle = JSON.parse(fromUtf8(keys.bundle)) as { epochs: BundleEpoch[] };
  bundle.epochs.push(next.entry);
  const verified = await verifyTeamKey(keys.team, next.record, next.signature);
  return { key: { record: next.record, signature: next.signature }, verified, bundle: canonicalBytes(bundle) };
}

const teamSlotInfo = (transferId: TransferIdBytes, slotId: SlotIdBytes, fingerprint: Uint8Array): Bytes =>
  concatBytes(utf8('valise/v1/team-slot'), Uint8Array.of(0), transferId, slotId, fingerprint);

export const teamSlotSize = (kem: KemName): number => HPKE_ENC_SIZE[kem] + SECRET_LENGTH + 16;

/** A transfer sent to a team: CK sealed to the team's current key (verified by the sender). */
export async function sealTeamSlot(key: VerifiedTeamKey, transferId: TransferIdBytes, slotId: SlotIdBytes, ck: ClientKey): Promise<Bytes> {
  if (ck.length !== SECRET_LENGTH) throw new CryptoError('invalid_key', 'CK is 32 bytes');
  return hpkeSeal(key.kem, fromBase64Url(key.kemPublicKey), teamSlotInfo(transferId, slotId, key.fingerprint), ck);
}

export async function openTeamSlot(keys: TeamKeys, epoch: number, transferId: TransferIdBytes, slotId: SlotIdBytes, slot: Uint8Array): Promise<ClientKey> {
  const e = keys.epochs.get(epoch);
  if (!e) throw new CryptoError('invalid_argument', `no team key of epoch ${epoch}`);
  if (slot.length !== teamSlotSize(e.key.kem)) throw new CryptoError('invalid_length', 'a team slot has the exact size of its KEM');
  return (await hpkeOpen(e.key.kem, e.holder.kemKey, teamSlotInfo(transferId, slotId, e.key.fingerprint), slot)) as ClientKey;
}
