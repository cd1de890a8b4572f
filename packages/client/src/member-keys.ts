// A member's own keys on their client (docs/format.md §11): create, unlock, change unlock methods; and other
// members' keys: fetched, certificate-checked against the pinned organisation key, and pinned per contact.
import {
  type AccountKey, type CertifiedMemberKey, type NewMemberKeys, type UnlockSecret, type UnlockWrap, type UnlockedMemberKeys,
  checkCertifiedMemberKey, fromBase64Url, generateMemberKeys, memberKeyFingerprint, newAccountKey, newRecoveryCode, openKeyBundle,
  parseMemberKeyRecord, safetyNumber, sealKeyBundle, serializeMemberKeyRecord, toBase64Url, unwrapAccountKey, wrapAccountKey,
} from '@valise/crypto';

/** What the server keeps for its member (GET /api/v1/me/keys). */
export interface StoredMemberKeys {
  readonly record: string;
  readonly certificate: string | null;
  readonly bundle: string;
  readonly wraps: readonly UnlockWrap[];
}

/** Another member's public key as the server serves it (GET /api/v1/members/…/key). */
export interface ServedMemberKey {
  readonly memberId: string;
  readonly email: string;
  readonly record: string;
  readonly certificate: string | null;
}

/** The API calls this module needs (ValiseApi implements them). */
export interface MemberKeysApi {
  setUpMemberKeys(body: { record: string; bundle: string; wraps: UnlockWrap[] }): Promise<unknown>;
  getMyKeys(): Promise<StoredMemberKeys>;
  addUnlockWrap(body: { wrap: UnlockWrap; replaces?: string }): Promise<unknown>;
  getMemberKeyByEmail(email: string): Promise<ServedMemberKey>;
  getMemberKeyById(memberId: string): Promise<ServedMemberKey>;
}

export interface Me {
  readonly memberId: string;
  readonly email: string;
}

/** Where a client remembers the fingerprint it first trusted for each contact (a 0600 file, IndexedDB). */
export interface ContactPins {
  get(memberId: string): Promise<string | undefined>;
  set(memberId: string, fingerprint: string): Promise<void>;
}

/** The warning every client shows before a member creates keys or removes an unlock method. */
export const KEY_LOSS_WARNING =
  'Transfers sent to you are encrypted to your keys. Your keys open with your passphrase, a passkey or your recovery '
  + 'code. If you lose all of them, nobody — not even your administrators — can open what was sent to you.';

/**
 * Makes the member's key pairs here, seals them under a new account key wrapped by the passphrase and by a fresh
 * recovery code, and stores them on the server. Returns the recovery code: show it once, never store it.
 */
export async function createMemberKeys(api: MemberKeysApi, me: Me, passphrase: string): Promise<{ recoveryCode: string; fingerprint: Uint8Array; keys: NewMemberKeys }> {
  const keys = await generateMemberKeys(me.memberId, me.email.toLowerCase());
  const uk = newAccountKey();
  try {
    const recoveryCode = newRecoveryCode();
    const wraps = [
      await wrapAccountKey(uk, me.memberId, { kind: 'passphrase', passphrase }),
      await wrapAccountKey(uk, me.memberId, { kind: 'recovery', code: recoveryCode }),
    ];
    const bundle = toBase64Url(await sealKeyBundle(uk, keys));
    const record = new TextDecoder().decode(serializeMemberKeyRecord(keys.record));
    await api.setUpMemberKeys({ record, bundle, wraps });
    return { recoveryCode, fingerprint: await memberKeyFingerprint(keys.record), keys };
  } finally {
    uk.fill(0);
  }
}

export interface UnlockedAccount {
  readonly uk: AccountKey;
  readonly keys: UnlockedMemberKeys;
  readonly stored: StoredMemberKeys;
  readonly certified: boolean;
}

/**
 * Unlocks the member's keys with one method. The record served must name this member, the bundle must match it,
 * and, when an organisation key is pinned, a certificate (if any) must verify: a server cannot slip in keys.
 */
export async function unlockMemberKeys(api: MemberKeysApi, me: Me, secret: UnlockSecret, orgPublicKey: Uint8Array | null): Promise<UnlockedAccount> {
  const stored = await api.getMyKeys();
  const record = parseMemberKeyRecord(stored.record);
  if (record.memberId !== me.memberId) throw new MemberKeyError('not_yours', 'the server returned keys of another member');
  const wrap = stored.wraps.find((w) => w.kind === secret.kind && (secret.kind !== 'passkey' || w.credentialId === secret.credentialId));
  if (!wrap) throw new MemberKeyError('no_such_method', `no ${secret.kind} unlock method is set up`);
  const uk = await unwrapAccountKey(wrap, me.memberId, secret);
  const keys = await openKeyBundle(uk, record, fromBase64Url(stored.bundle));
  let certified = false;
  if (orgPublicKey && stored.certificate) {
    await checkCertifiedMemberKey(orgPublicKey, record, fromBase64Url(stored.certificate), { memberId: me.memberId });
    certified = true;
  }
  return { uk, keys, stored, certified };
}

/** Replaces the passphrase wrap: UK, the keys and every received transfer stay as they are. */
export async function changePassphrase(api: MemberKeysApi, me: Me, account: UnlockedAccount, newPassphrase: string): Promise<void> {
  const old = account.stored.wraps.find((w) => w.kind === 'passphrase');
  const wrap = await wrapAccountKey(account.uk, me.memberId, { kind: 'passphrase', passphrase: newPassphrase });
  await api.addUnlockWrap(old ? { wrap, replaces: old.wrapId } : { wrap });
}

/** A new recovery code replaces the old one (which stops working); shown once. */
export async function replaceRecoveryCode(api: MemberKeysApi, me: Me, account: UnlockedAccount): Promise<string> {
  const code = newRecoveryCode();
  const old = account.stored.wraps.find((w) => w.kind === 'recovery');
  const wrap = await wrapAccountKey(account.uk, me.memberId, { kind: 'recovery', code });
  await api.addUnlockWrap(old ? { wrap, replaces: old.wrapId } : { wrap });
  return code;
}

export type MemberKeyErrorCode = 'not_yours' | 'no_such_method' | 'key_changed' | 'no_org_key';

/** A refusal about keys that people must see (the code says what; `message` has no secret). */
export class MemberKeyError extends Error {
  override readonly name = 'MemberKeyError';
  constructor(readonly code: MemberKeyErrorCode, message: string, readonly detail?: { memberId: string; email: string; pinned: string; served: string }) {
    super(message);
  }
}

export interface ResolvedContact {
  readonly key: CertifiedMemberKey;
  /** 'new': first time seen (now pinned); 'same': matches the pin. */
  readonly pin: 'new' | 'same';
}

/**
 * Fetches another member's key and trusts it only if the pinned organisation key certified it for that member,
 * then checks the contact pin: a different certified key than the one pinned is refused with 'key_changed'
 * until the person accepts it (acceptChange), so a key change is always seen.
 */
export async function resolveContact(
  api: MemberKeysApi,
  orgPublicKey: Uint8Array | null,
  pins: ContactPins,
  who: { email: string } | { memberId: string },
  options: { acceptChange?: boolean } = {},
): Promise<ResolvedContact> {
  if (!orgPublicKey) throw new MemberKeyError('no_org_key', 'this server has no organisation key: member keys cannot be checked');
  const served = 'email' in who ? await api.getMemberKeyByEmail(who.email) : await api.getMemberKeyById(who.memberId);
  const record = parseMemberKeyRecord(served.record);
  const key = await checkCertifiedMemberKey(orgPublicKey, record, served.certificate ? fromBase64Url(served.certificate) : null,
    'email' in who ? { email: who.email } : { memberId: who.memberId });
  const fingerprint = toBase64Url(key.fingerprint);
  const pinned = await pins.get(record.memberId);
  if (pinned === fingerprint) return { key, pin: 'same' };
  if (pinned !== undefined && !options.acceptChange) {
    throw new MemberKeyError('key_changed', `the key of ${record.email} has changed since you last exchanged files`, {
      memberId: record.memberId, email: record.email, pinned, served: fingerprint,
    });
  }
  await pins.set(record.memberId, fingerprint);
  return { key, pin: 'new' };
}

/** The 60-digit number two members read to each other to check they see the same keys. */
export async function safetyNumberWith(mine: Uint8Array, theirs: CertifiedMemberKey): Promise<string> {
  return (await safetyNumber(mine, theirs.fingerprint)).join(' ');
}
