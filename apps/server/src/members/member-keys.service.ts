// Member key rules (docs/format.md §11): first set-up, unlock methods, certified public keys, certification.
// The server checks shapes and who may do what; it stores the member's bytes as sent and never decrypts them.
import {
  ACCOUNT_KEY_WRAP_SIZE, ARGON2_MAX, ARGON2_MIN, type KemName, type MemberKeyRecord, fromBase64Url, isCryptoError, memberKeyFingerprint,
  orgPublicKeyFromText, parseMemberKeyRecord, plaintextSizeOf, toBase64Url, verifyMemberCertificate,
} from '@valise/crypto';
import {
  MEMBER_KEY_LIMITS, type AdminMemberKey, type AdminMemberKeyList, type MemberKeyStatus, type MyMemberKeys, type PublicMemberKey,
  type SetUpMemberKeysRequest, type UnlockKind, type UnlockWrap, type UnlockWrapList,
} from '@valise/protocol';
import { AUDIT_LOCK, type AuditRepository } from '../audit/audit.repository.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import type { NewRow } from '../db/schema.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { Logger } from '../logger.js';
import { MemberKeyRepository, type MemberKeyRow, type MemberKeyWithUser, type UnlockWrapRow } from './member-keys.repository.js';

export interface MemberKeyServiceDeps {
  readonly handle: DatabaseHandle;
  readonly audit: AuditRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  /** VALISE_ORG_PUBLIC_KEY (already validated by the configuration), or null. */
  readonly orgPublicKey: string | null;
}

/** Who is asking: the signed-in member. */
export interface KeyOwner {
  readonly id: string;
  readonly email: string;
}

/** A member's current certified key, as other parts of the server need it (member slots). */
export interface CertifiedKey {
  readonly memberId: string;
  readonly email: string;
  readonly fingerprint: Uint8Array;
  readonly kem: KemName;
}

const FINGERPRINT_BYTES = 32;
const CERTIFICATE_BYTES = 64;
const WRAP_ID_BYTES = 16;
const SALT_BYTES = 16;

export class MemberKeyService {
  readonly #d: MemberKeyServiceDeps;
  readonly #keys: MemberKeyRepository;
  readonly #orgKey: Uint8Array | null;

  constructor(deps: MemberKeyServiceDeps) {
    this.#d = deps;
    this.#keys = new MemberKeyRepository(deps.handle);
    this.#orgKey = deps.orgPublicKey === null ? null : orgPublicKeyFromText(deps.orgPublicKey);
  }

  orgKey(): { publicKey: string | null } {
    return { publicKey: this.#orgKey === null ? null : toBase64Url(this.#orgKey) };
  }

  /** PUT /me/keys: the member's first and only set-up (their keys are then pending until certified). */
  async setUp(owner: KeyOwner, body: SetUpMemberKeysRequest): Promise<MyMemberKeys> {
    const record = await checkOwnRecord(owner, body.record);
    const fingerprint = await memberKeyFingerprint(record);
    const bundle = checkBundle(body.bundle);
    for (const wrap of body.wraps) checkWrap(wrap);
    const ids = body.wraps.map((w) => w.wrapId);
    if (new Set(ids).size !== ids.length) throw new AppError('wrap_invalid', { detail: 'Two unlock methods have the same wrap id.' });
    const kinds = body.wraps.map((w) => w.kind);
    const count = (kind: UnlockKind) => kinds.filter((k) => k === kind).length;
    if (count('recovery') !== 1) throw new AppError('wrap_invalid', { detail: 'Set up exactly one recovery code.' });
    if (count('passphrase') > 1) throw new AppError('wrap_invalid', { detail: 'Set up at most one passphrase.' });
    if (count('passphrase') + count('passkey') === 0) throw new AppError('wrap_invalid', { detail: 'Set up a passphrase or a passkey besides the recovery code.' });

    const now = this.#d.clock.now();
    await withWriteTransaction(this.#d.handle, async (trx) => {
      if (await this.#keys.find(owner.id, trx)) throw new AppError('member_keys_exist');
      const taken = await this.#keys.takenWrapIds(ids, trx);
      if (taken.length > 0) throw new AppError('conflict', { detail: 'A wrap id is already in use: make new ones.' });
      await this.#keys.insertKeys(trx, {
        user_id: owner.id, record: body.record, fingerprint, key_bundle: bundle, certificate: null, certified_at: null, created_at: now,
      }, body.wraps.map((w) => wrapRow(owner.id, w, now)));
      await this.#d.audit.appendWithin(trx, [{
        actor: owner.id, action: 'member_keys.created', target: owner.id,
        detail: {
          fingerprint: hex(fingerprint), kem: record.kem, sig: record.sig,
          wraps: body.wraps.map((w) => ({ wrapId: w.wrapId, kind: w.kind })),
          // With an organisation key the key waits for an administrator; without one it cannot be certified yet.
          pending: this.#orgKey !== null,
        },
      }]);
    }, { lock: AUDIT_LOCK });
    this.#d.logger.info({ event: 'member_keys.created', userId: owner.id, fingerprint: hex(fingerprint) }, 'member keys set up');
    return this.mine(owner);
  }

  /** GET /me/keys. */
  async mine(owner: KeyOwner): Promise<MyMemberKeys> {
    const row = await this.#keys.find(owner.id);
    if (!row) throw new AppError('member_keys_missing');
    const wraps = await this.#keys.wrapsOf(owner.id);
    return {
      record: row.record,
      fingerprint: toBase64Url(row.fingerprint),
      certificate: row.certificate === null ? null : toBase64Url(row.certificate),
      bundle: toBase64Url(row.key_bundle),
      wraps: wraps.map(wrapOf),
    };
  }

  /**
   * POST /me/keys/wraps: adds an unlock method, or replaces `replaces` with it in one transaction (a new passphrase, a
   * regenerated recovery code). Afterwards the member still has a passphrase or passkey, at most one passphrase, at
   * most one recovery code and at most MEMBER_KEY_LIMITS.maxWraps methods.
   */
  async addWrap(owner: KeyOwner, wrap: UnlockWrap, replaces?: string): Promise<UnlockWrapList> {
    checkWrap(wrap);
    const now = this.#d.clock.now();
    await withWriteTransaction(this.#d.handle, async (trx) => {
      if (!(await this.#keys.find(owner.id, trx))) throw new AppError('member_keys_missing');
      const current = await this.#keys.wrapsOf(owner.id, trx);
      const replaced = replaces === undefined ? undefined : current.find((w) => w.id === replaces);
      if (replaces !== undefined && !replaced) throw new AppError('not_found', { detail: 'You have no unlock method with this id.' });
      if ((await this.#keys.takenWrapIds([wrap.wrapId], trx)).length > 0) {
        throw new AppError('conflict', { detail: 'This wrap id is already in use: a new or changed unlock method gets a new one.' });
      }
      const after = [...current.filter((w) => w !== replaced).map((w) => w.kind), wrap.kind];
      checkChangedSet(after);
      if (replaced) await this.#keys.deleteWrap(trx, owner.id, replaced.id);
      await this.#keys.insertWrap(trx, wrapRow(owner.id, wrap, now));
      await this.#d.audit.appendWithin(trx, [{
        actor: owner.id, action: replaced ? 'member_keys.wrap_replaced' : 'member_keys.wrap_added', target: owner.id,
        detail: { wrapId: wrap.wrapId, kind: wrap.kind, ...(replaced ? { replaced: { wrapId: replaced.id, kind: replaced.kind } } : {}) },
      }]);
    }, { lock: AUDIT_LOCK });
    return { wraps: (await this.#keys.wrapsOf(owner.id)).map(wrapOf) };
  }

  /** DELETE /me/keys/wraps/:wrapId: never the last passphrase or passkey (the recovery code alone is not enough). */
  async deleteWrap(owner: KeyOwner, wrapId: string): Promise<UnlockWrapList> {
    await withWriteTransaction(this.#d.handle, async (trx) => {
      if (!(await this.#keys.find(owner.id, trx))) throw new AppError('member_keys_missing');
      const current = await this.#keys.wrapsOf(owner.id, trx);
      const target = current.find((w) => w.id === wrapId);
      if (!target) throw new AppError('not_found', { detail: 'You have no unlock method with this id.' });
      const after = current.filter((w) => w !== target).map((w) => w.kind);
      if (!after.some((k) => k === 'passphrase' || k === 'passkey')) throw new AppError('last_unlock_method');
      await this.#keys.deleteWrap(trx, owner.id, wrapId);
      await this.#d.audit.appendWithin(trx, [{ actor: owner.id, action: 'member_keys.wrap_deleted', target: owner.id, detail: { wrapId, kind: target.kind } }]);
    }, { lock: AUDIT_LOCK });
    return { wraps: (await this.#keys.wrapsOf(owner.id)).map(wrapOf) };
  }

  /**
   * GET /members/key?email= and /members/:memberId/key: an active member's key whose certificate verifies with the
   * configured organisation key. Every other case (unknown, disabled, no key, not certified, certified under another
   * organisation key, record no longer naming the member's address) is the same 404.
   */
  async lookup(by: { memberId: string } | { email: string }): Promise<PublicMemberKey> {
    const row = await this.#keys.findWithUser('email' in by ? { email: by.email.trim().toLowerCase() } : by);
    if (!row) throw new AppError('member_key_unavailable', { reason: 'no member or no key' });
    const checked = await this.#certified(row);
    if (typeof checked === 'string') throw new AppError('member_key_unavailable', { reason: checked });
    return { memberId: row.user_id, email: row.email, record: row.record, certificate: toBase64Url(row.certificate!) };
  }

  /**
   * The keys lookup() would serve, for the members with these addresses (lowercase): active, certified under the
   * configured organisation key, naming the member. Every other address is absent from the map, its reason in
   * `unavailable` (for logs only: callers answer alike for every cause, as lookup() does).
   */
  async certifiedByEmail(emails: readonly string[]): Promise<{ keys: Map<string, CertifiedKey>; unavailable: Map<string, string> }> {
    const keys = new Map<string, CertifiedKey>();
    const unavailable = new Map<string, string>();
    const rows = await this.#keys.findManyWithUser([...new Set(emails)]);
    for (const row of rows) {
      const checked = await this.#certified(row);
      if (typeof checked === 'string') unavailable.set(row.email, checked);
      else keys.set(row.email, checked);
    }
    for (const email of emails) if (!keys.has(email) && !unavailable.has(email)) unavailable.set(email, 'no member or no key');
    return { keys, unavailable };
  }

  /** A member's key as lookup() would serve it, or why not (for logs). */
  async certifiedById(memberId: string): Promise<CertifiedKey | string> {
    const row = await this.#keys.findWithUser({ memberId });
    return row ? this.#certified(row) : 'no member or no key';
  }

  /** The key, if servable; otherwise the reason (logged, never sent). */
  async #certified(row: MemberKeyWithUser): Promise<CertifiedKey | string> {
    if (row.status !== 'active') return `member ${row.user_id} is ${row.status}`;
    if (row.certificate === null) return `key of ${row.user_id} not certified`;
    const record = parseStored(row);
    if (record.memberId !== row.user_id || record.email !== row.email) return `record of ${row.user_id} names another address`;
    if (!(await this.#verifies(row, record))) return `certificate of ${row.user_id} does not verify with the configured organisation key`;
    return { memberId: row.user_id, email: row.email, fingerprint: new Uint8Array(row.fingerprint), kem: record.kem };
  }

  /**
   * GET /admin/member-keys. "certified" means: the stored certificate verifies with the organisation key configured
   * now (after a change of organisation key, every key is pending again until certified anew).
   */
  async listForAdmin(status: MemberKeyStatus): Promise<AdminMemberKeyList> {
    const keys: AdminMemberKey[] = [];
    for (const row of await this.#keys.list()) {
      const certified = row.certificate !== null && (await this.#verifies(row, parseStored(row)));
      if (status === 'pending' && certified) continue;
      if (status === 'certified' && !certified) continue;
      keys.push(adminView(row, certified));
    }
    return { keys };
  }

  /** POST /admin/member-keys/:memberId/certificate: stores the organisation's signature over the member's record. */
  async certify(admin: KeyOwner, memberId: string, body: { fingerprint: string; certificate: string }): Promise<AdminMemberKey> {
    if (this.#orgKey === null) throw new AppError('org_key_not_configured', { detail: 'Set VALISE_ORG_PUBLIC_KEY before certifying member keys.' });
    const fingerprint = decodeField(body.fingerprint, FINGERPRINT_BYTES, '/fingerprint');
    const certificate = decodeField(body.certificate, CERTIFICATE_BYTES, '/certificate');
    const row = await this.#keys.find(memberId);
    if (!row) throw new AppError('member_keys_missing', { detail: 'This member has not set up keys.' });
    if (!sameBytes(row.fingerprint, fingerprint)) throw new AppError('member_key_changed', { detail: 'The member\'s key record is not the one you checked: look at it again.' });
    if (!(await verifyMemberCertificate(this.#orgKey, parseStored(row), certificate))) {
      throw new AppError('certificate_invalid', { detail: 'The certificate is not the configured organisation key\'s signature over this record.' });
    }
    const now = this.#d.clock.now();
    await withWriteTransaction(this.#d.handle, async (trx) => {
      const before = await this.#keys.find(memberId, trx);
      if (!(await this.#keys.certify(trx, memberId, fingerprint, certificate, now))) throw new AppError('member_key_changed');
      await this.#d.audit.appendWithin(trx, [{
        actor: admin.id, action: 'member_key.certified', target: memberId,
        detail: { fingerprint: hex(fingerprint), orgPublicKey: toBase64Url(this.#orgKey!), recertified: before?.certificate != null },
      }]);
    }, { lock: AUDIT_LOCK });
    this.#d.logger.info({ event: 'member_key.certified', memberId, by: admin.id, fingerprint: hex(fingerprint) }, 'member key certified');
    const updated = await this.#keys.findWithUser({ memberId });
    if (!updated) throw new AppError('member_keys_missing');
    return adminView(updated, true);
  }

  async #verifies(row: MemberKeyRow, record: MemberKeyRecord): Promise<boolean> {
    if (this.#orgKey === null || row.certificate === null) return false;
    return verifyMemberCertificate(this.#orgKey, record, new Uint8Array(row.certificate));
  }
}

// ── checks ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** Strict parse (exact keys, canonical bytes), naming the caller, with public keys the platform can import. */
async function checkOwnRecord(owner: KeyOwner, text: string): Promise<MemberKeyRecord> {
  let record: MemberKeyRecord;
  try {
    record = parseMemberKeyRecord(text);
  } catch (error) {
    // CryptoError messages name the field and the rule, never a value.
    if (isCryptoError(error)) throw new AppError('key_record_invalid', { detail: `The key record is not valid: ${error.message}.` });
    throw error;
  }
  if (record.memberId !== owner.id) throw new AppError('key_record_invalid', { detail: 'The key record names another member id than yours.' });
  if (record.email !== owner.email) throw new AppError('key_record_invalid', { detail: 'The key record names another e-mail address than yours.' });
  if (!(await importable(record.kem, record.kemPublicKey)) || !(await importable(record.sig, record.sigPublicKey))) {
    throw new AppError('key_record_invalid', { detail: 'A public key of the record is not a valid point.' });
  }
  return record;
}

const IMPORT: Record<string, [AlgorithmIdentifier | EcKeyImportParams, KeyUsage[]]> = {
  X25519: [{ name: 'X25519' }, []],
  'P-256': [{ name: 'ECDH', namedCurve: 'P-256' }, []],
  Ed25519: [{ name: 'Ed25519' }, ['verify']],
  'ECDSA-P256': [{ name: 'ECDSA', namedCurve: 'P-256' }, ['verify']],
};

/** §11.2: readers import the public keys (this catches P-256 points off the curve). */
async function importable(algorithm: string, publicKey: string): Promise<boolean> {
  const params = IMPORT[algorithm];
  if (!params) return false;
  try {
    await globalThis.crypto.subtle.importKey('raw', fromBase64Url(publicKey) as Uint8Array<ArrayBuffer>, params[0], false, params[1]);
    return true;
  } catch {
    return false;
  }
}

/** The sealed bundle: strict base64url, at most 64 KiB, and a possible Cobblestone length. */
function checkBundle(text: string): Uint8Array {
  const bad = (message: string): never => {
    throw new AppError('validation_failed', { detail: `The key bundle ${message}.`, extra: { errors: [{ path: '/bundle', message }] } });
  };
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(text);
  } catch {
    return bad('is not canonical base64url');
  }
  if (bytes.length === 0 || bytes.length > MEMBER_KEY_LIMITS.bundleBytes) return bad(`must be 1 to ${MEMBER_KEY_LIMITS.bundleBytes} bytes`);
  try {
    plaintextSizeOf(bytes.length);
  } catch {
    return bad('does not have the length of a sealed bundle');
  }
  return bytes;
}

/** One wrap's own rules (§11.5); the rules about a member's set of wraps are checked where the set changes. */
function checkWrap(wrap: UnlockWrap): void {
  const bad = (why: string): never => {
    throw new AppError('wrap_invalid', { detail: `Unlock method ${wrap.wrapId}: ${why}.` });
  };
  if (!decodes(wrap.wrapId, WRAP_ID_BYTES)) bad('the wrap id is not a canonical 16-byte id');
  if (!decodes(wrap.wrapped, ACCOUNT_KEY_WRAP_SIZE)) bad(`the wrap must be exactly ${ACCOUNT_KEY_WRAP_SIZE} bytes of canonical base64url`);
  if (wrap.kind === 'passphrase') {
    if (wrap.argon2 === null) return bad('a passphrase wrap carries its Argon2id parameters');
    const { m, t, p, salt } = wrap.argon2;
    const within = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
    if (!within(m, ARGON2_MIN.m, ARGON2_MAX.m) || !within(t, ARGON2_MIN.t, ARGON2_MAX.t) || !within(p, ARGON2_MIN.p, ARGON2_MAX.p)) {
      bad(`Argon2id parameters must lie between m=${ARGON2_MIN.m}, t=${ARGON2_MIN.t}, p=${ARGON2_MIN.p} and m=${ARGON2_MAX.m}, t=${ARGON2_MAX.t}, p=${ARGON2_MAX.p}`);
    }
    if (!decodes(salt, SALT_BYTES)) bad('the Argon2id salt must be 16 bytes of canonical base64url');
  } else if (wrap.argon2 !== null) {
    bad('only passphrase wraps carry Argon2id parameters');
  }
  if (wrap.kind === 'passkey') {
    if (wrap.credentialId === null) return bad('a passkey wrap carries its credential id');
    const id = decoded(wrap.credentialId);
    if (id === null || id.length < 1 || id.length > MEMBER_KEY_LIMITS.credentialIdBytes) {
      bad(`the credential id must be 1 to ${MEMBER_KEY_LIMITS.credentialIdBytes} bytes of canonical base64url`);
    }
  } else if (wrap.credentialId !== null) {
    bad('only passkey wraps carry a credential id');
  }
}

/** A member's wraps after an addition or a replacement. */
function checkChangedSet(kinds: readonly UnlockKind[]): void {
  const count = (kind: UnlockKind) => kinds.filter((k) => k === kind).length;
  if (count('passphrase') + count('passkey') === 0) throw new AppError('last_unlock_method', { detail: 'This would leave you without a passphrase or passkey.' });
  if (count('passphrase') > 1) throw new AppError('conflict', { detail: 'You already have a passphrase: replace it instead (replaces).' });
  if (count('recovery') > 1) throw new AppError('conflict', { detail: 'You already have a recovery code: replace it instead (replaces).' });
  if (kinds.length > MEMBER_KEY_LIMITS.maxWraps) throw new AppError('conflict', { detail: `At most ${MEMBER_KEY_LIMITS.maxWraps} unlock methods: remove one first.` });
}

// ── conversions ─────────────────────────────────────────────────────────────────────────────────────────────────

function wrapRow(userId: string, wrap: UnlockWrap, now: number): NewRow<'unlock_wraps'> {
  return {
    id: wrap.wrapId,
    user_id: userId,
    kind: wrap.kind,
    argon2: wrap.argon2 === null ? null : JSON.stringify({ m: wrap.argon2.m, t: wrap.argon2.t, p: wrap.argon2.p, salt: wrap.argon2.salt }),
    credential_id: wrap.credentialId,
    wrapped: fromBase64Url(wrap.wrapped),
    created_at: now,
  };
}

function wrapOf(row: UnlockWrapRow): UnlockWrap {
  const argon2 = row.argon2 === null ? null : (JSON.parse(row.argon2) as { m: number; t: number; p: number; salt: string });
  return {
    wrapId: row.id,
    kind: row.kind,
    argon2: argon2 === null ? null : { m: argon2.m, t: argon2.t, p: argon2.p, salt: argon2.salt },
    credentialId: row.credential_id,
    wrapped: toBase64Url(row.wrapped),
  };
}

function adminView(row: MemberKeyWithUser, certified: boolean): AdminMemberKey {
  return {
    memberId: row.user_id,
    email: row.email,
    record: row.record,
    fingerprint: toBase64Url(row.fingerprint),
    createdAt: row.created_at,
    certifiedAt: certified ? row.certified_at : null,
  };
}

/** A record the server accepted at set-up: parsing it again cannot fail unless the database was edited. */
function parseStored(row: MemberKeyRow): MemberKeyRecord {
  return parseMemberKeyRecord(row.record);
}

function decoded(text: string): Uint8Array | null {
  try {
    return fromBase64Url(text);
  } catch {
    return null;
  }
}

function decodes(text: string, length: number): boolean {
  return decoded(text)?.length === length;
}

function decodeField(text: string, length: number, path: string): Uint8Array {
  const bytes = decoded(text);
  if (bytes?.length !== length) {
    throw new AppError('validation_failed', { detail: `${path.slice(1)} must be ${length} bytes of canonical base64url.`, extra: { errors: [{ path, message: 'not canonical base64url' }] } });
  }
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
