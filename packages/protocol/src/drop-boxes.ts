// Drop boxes (docs/format.md §13): members create them; anyone with the link deposits after verifying an address;
// the box's owners find deposits in their inbox.
import { Type, type Static } from '@sinclair/typebox';
import { Base64Url, Bytes32, Email, Id, OneTimeCode, Timestamp, Token } from './primitives.js';
import { CreateTransferResponse, DataClassName, UploadStatus } from './transfers.js';

const strict = { additionalProperties: false } as const;

/** The box signing public key (the link's fragment): Ed25519 (32 bytes) or ECDSA P-256 (65). */
export const BoxIdentity = Type.Object({
  sig: Type.Union([Type.Literal('Ed25519'), Type.Literal('ECDSA-P256')]),
  publicKey: Base64Url(87),
}, strict);

/** A box key record (canonical JSON text, §13.2) and its signature by the box signing key. */
export const SignedBoxKey = Type.Object({
  record: Type.String({ maxLength: 2_000 }),
  signature: Type.String({ pattern: '^[A-Za-z0-9_-]{86}$' }),
}, strict);

/** An e-mail domain depositors' addresses may end with ("lab.example"); none listed: any address. */
export const EmailDomain = Type.String({ pattern: '^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$' });

/** POST /api/v1/boxes: a member creates a box; its keys were made on their client (§13.1–13.4). */
export const CreateBoxRequest = Type.Object({
  boxId: Id,
  identity: BoxIdentity,
  key: SignedBoxKey,
  /**
   * The creator's copy of the box keys, sealed to their certified member key (§13.4); with ownerTeamId, the team's
   * copy instead, sealed to the team's current key (fingerprint: that key's, §13.5).
   */
  ownerKeys: Type.Object({ fingerprint: Bytes32, sealed: Base64Url(65_536) }, strict),
  /** A box owned by a team the creator belongs to: every current member of the team owns it. */
  ownerTeamId: Type.Optional(Id),
  expiresInSeconds: Type.Integer({ minimum: 60 }),
  maxDeposits: Type.Integer({ minimum: 1, maximum: 100_000 }),
  /** Largest deposit, in plaintext bytes (all its files). */
  maxDepositBytes: Type.Integer({ minimum: 1 }),
  allowedDomains: Type.Array(EmailDomain, { maxItems: 50 }),
  dataClass: Type.Optional(DataClassName),
}, strict);

export const BoxSummary = Type.Object({
  boxId: Id,
  name: Type.String(),
  identity: BoxIdentity,
  /** The link without its fragment; the client appends #<base64url(identity.publicKey)>. */
  linkBase: Type.String(),
  state: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  maxDeposits: Type.Integer(),
  depositsUsed: Type.Integer(),
  maxDepositBytes: Type.Integer(),
  allowedDomains: Type.Array(EmailDomain),
  dataClass: DataClassName,
  /** The team that owns the box (its members are the owners); null for a member's own box. */
  ownerTeam: Type.Union([Type.Object({ teamId: Id, name: Type.String({ maxLength: 200 }) }, strict), Type.Null()]),
}, strict);
export const BoxList = Type.Object({ boxes: Type.Array(BoxSummary) }, strict);

/** The box keys of a team's box, sealed to the team key of `epoch` (§13.5). */
export const TeamOwnerKeys = Type.Object({
  teamId: Id,
  epoch: Type.Integer({ minimum: 1 }),
  fingerprint: Bytes32,
  sealed: Base64Url(65_536),
}, strict);

/** GET /api/v1/boxes/:boxId/keys (owners): what opens the box's deposits on the owner's client. */
export const BoxKeysResponse = Type.Object({
  boxId: Id,
  identity: BoxIdentity,
  keys: Type.Array(SignedBoxKey, { minItems: 1 }),
  /** The caller's sealed copy; for a team's box the team's (the same as ownerTeam's), which opens with the team key. */
  ownerKeys: Type.Object({ fingerprint: Bytes32, sealed: Base64Url(65_536) }, strict),
  /** A team's box: the box keys sealed to the team key of `epoch` (fingerprint: that key's); null otherwise. */
  ownerTeam: Type.Union([TeamOwnerKeys, Type.Null()]),
}, strict);

/** GET /api/v1/boxes/:boxId/public (no sign-in): what a depositor's client needs; 410 once closed or expired. */
export const PublicBox = Type.Object({
  boxId: Id,
  key: SignedBoxKey,
  expiresAt: Timestamp,
  maxDepositBytes: Type.Integer(),
  maxFiles: Type.Integer(),
  allowedDomains: Type.Array(EmailDomain),
}, strict);

/** POST /api/v1/boxes/:boxId/code: the depositor's address (and the name they give) → a code e-mailed to it. */
export const DepositCodeRequest = Type.Object({
  email: Email,
  name: Type.String({ minLength: 1, maxLength: 200 }),
}, strict);
export const DepositCodeResponse = Type.Object({ openingToken: Token, codeExpiresAt: Timestamp }, strict);

/** POST /api/v1/boxes/:boxId/verify → a deposit token (Authorization: Bearer) for one deposit. */
export const DepositVerifyRequest = Type.Object({ openingToken: Token, code: OneTimeCode }, strict);
export const DepositVerifyResponse = Type.Object({ depositToken: Token, expiresAt: Timestamp }, strict);

/**
 * POST /api/v1/boxes/:boxId/deposits (deposit token): creates the deposit, a transfer to the box's owners under the
 * box's data class. Then PUT /api/v1/deposits/:transferId/files/:fileId/parts/:index (same token, same part rules
 * as a transfer), GET /api/v1/deposits/:transferId (resume status), POST /api/v1/deposits/:transferId/finalize.
 */
export const CreateDepositRequest = Type.Object({
  files: Type.Array(Type.Object({ ciphertextSize: Type.Integer({ minimum: 72 }) }, strict), { minItems: 1, maxItems: 1_000 }),
}, strict);
export const CreateDepositResponse = CreateTransferResponse;
export const DepositStatus = UploadStatus;

/** The deposit's only slot: CK sealed to the box key of `epoch` (§13.3). */
export const BoxSlot = Type.Object({ slotId: Id, epoch: Type.Integer({ minimum: 1 }), wrapped: Base64Url(152) }, strict);

export const FinalizeDepositRequest = Type.Object({
  boxSlot: BoxSlot,
  manifest: Base64Url(16 * 1024 * 1024),
}, strict);

/** The depositor's receipt (also e-mailed): what was delivered, when, as stored. */
export const DepositReceipt = Type.Object({
  transferId: Id,
  boxId: Id,
  boxName: Type.String(),
  depositorEmail: Email,
  depositedAt: Timestamp,
  /** Until when the box's owners can fetch it (the box's data class), then it is purged. */
  expiresAt: Timestamp,
  files: Type.Array(Type.Object({ fileId: Id, ciphertextSize: Type.Integer(), partSha256: Type.Array(Bytes32) }, strict)),
  /** SHA-256 of the encrypted manifest as stored. */
  manifestSha256: Bytes32,
}, strict);

/** POST /api/v1/inbox/:transferId/open-deposit (a box owner): like an inbox open, with the box slot. */
export const DepositOpenResponse = Type.Object({
  grantToken: Token,
  grantExpiresAt: Timestamp,
  transferExpiresAt: Timestamp,
  serverShare: Bytes32,
  boxId: Id,
  boxSlot: BoxSlot,
  manifest: Base64Url(16 * 1024 * 1024),
  depositor: Type.Object({ email: Email, name: Type.String(), verified: Type.Literal('email') }, strict),
  files: Type.Array(Type.Object({ fileId: Id, ciphertextSize: Type.Integer(), partCount: Type.Integer() }, strict)),
  /** A team's box: the team, and the box keys sealed to its key (open with the team key of `epoch`); null otherwise. */
  ownerTeam: Type.Union([Type.Object({ teamId: Id, name: Type.String({ maxLength: 200 }), keys: TeamOwnerKeys }, strict), Type.Null()]),
}, strict);

export type BoxIdentity = Static<typeof BoxIdentity>;
export type SignedBoxKey = Static<typeof SignedBoxKey>;
export type CreateBoxRequest = Static<typeof CreateBoxRequest>;
export type BoxSummary = Static<typeof BoxSummary>;
export type BoxList = Static<typeof BoxList>;
export type TeamOwnerKeys = Static<typeof TeamOwnerKeys>;
export type BoxKeysResponse = Static<typeof BoxKeysResponse>;
export type PublicBox = Static<typeof PublicBox>;
export type DepositCodeRequest = Static<typeof DepositCodeRequest>;
export type DepositCodeResponse = Static<typeof DepositCodeResponse>;
export type DepositVerifyRequest = Static<typeof DepositVerifyRequest>;
export type DepositVerifyResponse = Static<typeof DepositVerifyResponse>;
export type CreateDepositRequest = Static<typeof CreateDepositRequest>;
export type CreateDepositResponse = Static<typeof CreateDepositResponse>;
export type DepositStatus = Static<typeof DepositStatus>;
export type BoxSlot = Static<typeof BoxSlot>;
export type FinalizeDepositRequest = Static<typeof FinalizeDepositRequest>;
export type DepositReceipt = Static<typeof DepositReceipt>;
export type DepositOpenResponse = Static<typeof DepositOpenResponse>;
