// Member keys API (docs/format.md §11): a member's key record, private key bundle and unlock wraps; certified
// public keys of other members; the organisation key; certification by an administrator. The server stores and
// serves these bytes and checks their shape; it never decrypts any of them.
import { Type, type Static } from '@sinclair/typebox';
import { Bytes32, Email, Id, Timestamp } from './primitives.js';

const strict = { additionalProperties: false } as const;

export const MEMBER_KEY_LIMITS = {
  /** The canonical JSON text of a key record (§11.2: at most ~700 characters with P-256 keys and a 254-char address). */
  recordChars: 1024,
  /** The sealed private key bundle (§11.4), in bytes. */
  bundleBytes: 64 * 1024,
  /** Unlock methods (wraps of UK) one member may hold. */
  maxWraps: 8,
  /** A wrap of UK is Cobblestone of 32 bytes (§11.5). */
  wrapBytes: 104,
  /** WebAuthn credential ids are at most 1023 bytes. */
  credentialIdBytes: 1023,
  /** PUT /me/keys carries the bundle (up to 64 KiB, as base64url) beside the record and the wraps. */
  setUpBodyBytes: 128 * 1024,
} as const;

/** Exactly `bytes` bytes as base64url without padding (the server also checks the unused trailing bits). */
const exactBytes = (bytes: number, description: string) =>
  Type.String({ pattern: `^[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}$`, description });

/** A member certificate (§11.3): the organisation's 64-byte Ed25519 signature over a record's fingerprint. */
export const Certificate = exactBytes(64, '64-byte Ed25519 signature, base64url');
/** SHA-256 of a record's canonical JSON (§11.2). */
export const Fingerprint = exactBytes(32, 'SHA-256 of the record\'s canonical JSON, base64url');
/** The record exactly as the member's client serialised it: RFC 8785 canonical JSON (checked byte for byte). */
export const MemberKeyRecordText = Type.String({ minLength: 2, maxLength: MEMBER_KEY_LIMITS.recordChars, description: 'canonical JSON of the member key record' });

export const UnlockKind = Type.Union([Type.Literal('passphrase'), Type.Literal('recovery'), Type.Literal('passkey')]);

/** Argon2id parameters of a passphrase wrap: m in KiB, u32 each (bounds are checked by the server: §11.5). */
const u32 = Type.Integer({ minimum: 1, maximum: 0xffff_ffff });
export const Argon2Setting = Type.Object({
  m: u32,
  t: u32,
  p: u32,
  salt: exactBytes(16, '16-byte salt, base64url'),
}, strict);

/**
 * One wrap of the account key UK (§11.5). `argon2` is present exactly for passphrase wraps, `credentialId` exactly for
 * passkey wraps.
 */
export const UnlockWrap = Type.Object({
  wrapId: Id,
  kind: UnlockKind,
  argon2: Type.Union([Argon2Setting, Type.Null()]),
  credentialId: Type.Union([
    Type.String({ pattern: '^[A-Za-z0-9_-]+$', minLength: 2, maxLength: Math.ceil((MEMBER_KEY_LIMITS.credentialIdBytes * 4) / 3), description: 'WebAuthn credential id, base64url' }),
    Type.Null(),
  ]),
  wrapped: exactBytes(MEMBER_KEY_LIMITS.wrapBytes, '104-byte wrap of the account key, base64url'),
}, strict);

export const UnlockWraps = Type.Array(UnlockWrap, { minItems: 1, maxItems: MEMBER_KEY_LIMITS.maxWraps });

/** The sealed private key bundle. */
export const KeyBundle = Type.String({
  pattern: '^[A-Za-z0-9_-]+$', maxLength: Math.ceil((MEMBER_KEY_LIMITS.bundleBytes * 4) / 3), description: 'the sealed private key bundle, base64url',
});

/**
 * PUT /api/v1/me/keys: first set-up only. The record names the caller (memberId, email); the wraps hold exactly one
 * recovery wrap and at least one passphrase or passkey wrap.
 */
export const SetUpMemberKeysRequest = Type.Object({
  record: MemberKeyRecordText,
  bundle: KeyBundle,
  wraps: UnlockWraps,
}, strict);

/** GET /api/v1/me/keys (and the answer of PUT): everything the member's client needs to unlock its keys. */
export const MyMemberKeys = Type.Object({
  record: MemberKeyRecordText,
  fingerprint: Fingerprint,
  /** null until an administrator certified the key (or when no organisation key is configured). */
  certificate: Type.Union([Certificate, Type.Null()]),
  bundle: KeyBundle,
  wraps: Type.Array(UnlockWrap, { maxItems: MEMBER_KEY_LIMITS.maxWraps }),
}, strict);

/** POST /api/v1/me/keys/wraps: adds a wrap, or replaces `replaces` with it in one step (passphrase change). */
export const AddUnlockWrapRequest = Type.Object({
  wrap: UnlockWrap,
  replaces: Type.Optional(Id),
}, strict);

/** The member's wraps after POST /me/keys/wraps or DELETE /me/keys/wraps/:wrapId. */
export const UnlockWrapList = Type.Object({
  wraps: Type.Array(UnlockWrap, { maxItems: MEMBER_KEY_LIMITS.maxWraps }),
}, strict);

export const WrapIdParams = Type.Object({ wrapId: Id }, strict);
export const MemberIdParams = Type.Object({ memberId: Id }, strict);
export const MemberKeyByEmailQuery = Type.Object({ email: Email }, strict);

/**
 * GET /api/v1/members/key?email=… and GET /api/v1/members/:memberId/key: an active member's certified key. The client
 * MUST verify the certificate against its pinned organisation key and that the record names whom it asked for.
 */
export const PublicMemberKey = Type.Object({
  memberId: Id,
  email: Email,
  record: MemberKeyRecordText,
  certificate: Certificate,
}, strict);

/** GET /api/v1/org-key (no sign-in): the configured organisation public key, or null. */
export const OrgKeyResponse = Type.Object({
  publicKey: Type.Union([Bytes32, Type.Null()]),
}, strict);

export const MemberKeyStatus = Type.Union([Type.Literal('pending'), Type.Literal('certified'), Type.Literal('all')]);
/** GET /api/v1/admin/member-keys?status=pending|certified|all (default all). */
export const AdminMemberKeysQuery = Type.Object({ status: Type.Optional(MemberKeyStatus) }, strict);

export const AdminMemberKey = Type.Object({
  memberId: Id,
  /** The member's current address. */
  email: Email,
  record: MemberKeyRecordText,
  fingerprint: Fingerprint,
  createdAt: Timestamp,
  certifiedAt: Type.Union([Timestamp, Type.Null()]),
}, strict);
export const AdminMemberKeyList = Type.Object({ keys: Type.Array(AdminMemberKey) }, strict);

/**
 * POST /api/v1/admin/member-keys/:memberId/certificate: `fingerprint` is the record the administrator checked and
 * signed; the server refuses it when the member's record has changed since.
 */
export const CertifyMemberKeyRequest = Type.Object({
  fingerprint: Fingerprint,
  certificate: Certificate,
}, strict);

export type UnlockKind = Static<typeof UnlockKind>;
export type Argon2Setting = Static<typeof Argon2Setting>;
export type UnlockWrap = Static<typeof UnlockWrap>;
export type SetUpMemberKeysRequest = Static<typeof SetUpMemberKeysRequest>;
export type MyMemberKeys = Static<typeof MyMemberKeys>;
export type AddUnlockWrapRequest = Static<typeof AddUnlockWrapRequest>;
export type UnlockWrapList = Static<typeof UnlockWrapList>;
export type WrapIdParams = Static<typeof WrapIdParams>;
export type MemberIdParams = Static<typeof MemberIdParams>;
export type MemberKeyByEmailQuery = Static<typeof MemberKeyByEmailQuery>;
export type PublicMemberKey = Static<typeof PublicMemberKey>;
export type OrgKeyResponse = Static<typeof OrgKeyResponse>;
export type MemberKeyStatus = Static<typeof MemberKeyStatus>;
export type AdminMemberKeysQuery = Static<typeof AdminMemberKeysQuery>;
export type AdminMemberKey = Static<typeof AdminMemberKey>;
export type AdminMemberKeyList = Static<typeof AdminMemberKeyList>;
export type CertifyMemberKeyRequest = Static<typeof CertifyMemberKeyRequest>;
