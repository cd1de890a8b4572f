// Transfers API for members: create, upload parts, resume, finalize, list, inspect, revoke.
import { Type, type Static } from '@sinclair/typebox';
import { LIMITS, MAX_TRANSFER_TEAMS } from './limits.js';
import { Base64Url, Bytes32, Email, Id, Timestamp } from './primitives.js';

const strict = { additionalProperties: false } as const;

export const TransferState = Type.Union([
  Type.Literal('uploading'), Type.Literal('ready'), Type.Literal('closed'), Type.Literal('purged'),
]);
export const CloseReason = Type.Union([
  Type.Literal('expired'), Type.Literal('exhausted'), Type.Literal('revoked'), Type.Literal('abandoned'),
  // The data class deletes a transfer once every recipient has downloaded it.
  Type.Literal('downloaded'),
]);

/** A data class's name: lowercase letters, digits and dashes. */
export const DataClassName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' });

/** A retention policy set by an administrator; every transfer has one, and senders cannot go beyond it. */
export const DataClass = Type.Object({
  name: DataClassName,
  description: Type.String({ maxLength: 500 }),
  maxExpirySeconds: Type.Integer({ minimum: 60 }),
  defaultExpirySeconds: Type.Integer({ minimum: 60 }),
  maxDownloads: Type.Integer({ minimum: 1 }),
  /** Closed and purged as soon as every recipient has downloaded. */
  deleteWhenDownloaded: Type.Boolean(),
  /** false: every recipient must be a member (an account with a second factor). */
  allowOutsideRecipients: Type.Boolean(),
}, strict);

/** POST /api/v1/transfers. Sizes are ciphertext sizes (the server never learns plaintext sizes beyond them). */
export const CreateTransferRequest = Type.Object({
  files: Type.Array(Type.Object({
    ciphertextSize: Type.Integer({ minimum: 72, description: 'Cobblestone ciphertext length of the file body' }),
  }, strict), { minItems: 1, maxItems: 10_000 }),
  /** Addresses (members or not). May be empty when the transfer goes to teams only; never with no team either. */
  recipients: Type.Array(Email, { minItems: 0, maxItems: 1_000 }),
  /** Teams (docs/format.md §13.5) the transfer is sent to: each gets a team slot at finalize. */
  teams: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: MAX_TRANSFER_TEAMS })),
  expiresInSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  maxDownloads: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Omitted: the installation's default class. */
  dataClass: Type.Optional(DataClassName),
}, strict);
export const CreateTransferResponse = Type.Object({
  transferId: Id,
  dataClass: DataClassName,
  serverShare: Bytes32,
  files: Type.Array(Type.Object({ fileId: Id, ciphertextSize: Type.Integer(), partCount: Type.Integer() }, strict)),
  expiresInSeconds: Type.Integer(),
  maxDownloads: Type.Integer(),
}, strict);

/** Header carrying the base64url SHA-256 of a part body, checked by the server while it streams. */
export const PART_HASH_HEADER = 'x-valise-part-sha256';

/** PUT /api/v1/transfers/:transferId/files/:fileId/parts/:index (application/octet-stream). */
export const PartParams = Type.Object({ transferId: Id, fileId: Id, index: Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$' }) }, strict);
export const PartReceipt = Type.Object({ index: Type.Integer(), size: Type.Integer(), sha256: Bytes32 }, strict);

/** GET /api/v1/transfers/:transferId/upload: what has arrived, for resuming. */
export const UploadStatus = Type.Object({
  transferId: Id,
  state: TransferState,
  serverShare: Type.Union([Bytes32, Type.Null()]),
  files: Type.Array(Type.Object({
    fileId: Id, ciphertextSize: Type.Integer(), partCount: Type.Integer(),
    received: Type.Array(Type.Object({ index: Type.Integer(), sha256: Bytes32 }, strict)),
  }, strict)),
}, strict);

/** A link slot: CK wrapped under a key derived from the link secret (docs/format.md). */
export const LinkSlot = Type.Object({
  slotId: Id,
  wrapped: Base64Url(200),
}, strict);

/**
 * A member slot (docs/format.md §12.1): CK sealed with HPKE to a member's certified key. `email` names a recipient
 * of the transfer, or the sender (the self slot); `fingerprint` is the key it was sealed to, which the server
 * checks is that member's current certified key.
 */
export const MemberSlot = Type.Object({
  slotId: Id,
  email: Email,
  fingerprint: Bytes32,
  wrapped: Base64Url(152),
}, strict);

/** The sender's signature over the manifest it encrypted (docs/format.md §12.2). */
export const ManifestSignature = Type.Object({
  signerFingerprint: Bytes32,
  signature: Type.String({ pattern: '^[A-Za-z0-9_-]{86}$', description: '64 bytes, base64url' }),
}, strict);

/**
 * POST /api/v1/transfers/:transferId/finalize. A link (linkSlot + linkAuthKey) is needed when some recipient has
 * no member slot; member slots need the manifest signature of the sender's certified key.
 */
export const FinalizeRequest = Type.Object({
  linkSlot: Type.Optional(LinkSlot),
  linkAuthKey: Type.Optional(Bytes32),
  memberSlots: Type.Optional(Type.Array(MemberSlot, { minItems: 1, maxItems: 1_001 })),
  manifestSignature: Type.Optional(ManifestSignature),
  /** One per team named at creation (exactly those), sealed to the team's current key; needs manifestSignature. */
  teamSlots: Type.Optional(Type.Array(Type.Object({
    teamId: Id,
    slotId: Id,
    epoch: Type.Integer({ minimum: 1 }),
    wrapped: Base64Url(152),
  }, strict), { minItems: 1, maxItems: MAX_TRANSFER_TEAMS })),
  manifest: Base64Url(16 * 1024 * 1024),
}, strict);
export const FinalizeResponse = Type.Object({
  transferId: Id,
  expiresAt: Timestamp,
  linkBase: Type.Union([Type.String(), Type.Null()], { description: 'public URL of the link page (the client appends #<link secret>); null without a link' }),
}, strict);

export const AccessEvent = Type.Object({
  kind: Type.String(),
  recipient: Type.Union([Email, Type.Null()]),
  at: Timestamp,
  detail: Type.Union([Type.String(), Type.Null()]),
}, strict);

export const TransferSummary = Type.Object({
  transferId: Id,
  state: TransferState,
  closeReason: Type.Union([CloseReason, Type.Null()]),
  dataClass: DataClassName,
  createdAt: Timestamp,
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  maxDownloads: Type.Integer(),
  downloadsUsed: Type.Integer(),
  recipients: Type.Array(Email),
  /** The teams it was sent to (§13.5), or whose drop box it was deposited into; each counts as one recipient. */
  teams: Type.Array(Type.Object({
    teamId: Id,
    name: Type.String({ maxLength: 200 }),
    /** When a member of the team first reported a complete, verified download; null before. */
    downloadedAt: Type.Union([Timestamp, Type.Null()]),
  }, strict)),
  fileCount: Type.Integer(),
  /** What is stored: the ciphertext of every file. */
  totalBytes: Type.Integer(),
  /** The files' own size before encryption, derived from their ciphertext sizes (the format's overhead is public). */
  contentBytes: Type.Integer(),
}, strict);
/**
 * GET /api/v1/transfers: the sender's transfers, newest first, a page at a time. `before` is the `next` of the page
 * before (an opaque cursor); without it, the newest page.
 */
export const TransferListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.transferPageMax, description: `default ${LIMITS.transferPageDefault}` })),
  before: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}\\.[A-Za-z0-9_-]{22}$', description: 'the `next` of the previous page' })),
}, strict);
export const TransferList = Type.Object({
  transfers: Type.Array(TransferSummary),
  /** The cursor of the next (older) page; null on the last page. */
  next: Type.Union([Type.String(), Type.Null()]),
}, strict);
export const TransferDetail = Type.Object({
  transfer: TransferSummary,
  events: Type.Array(AccessEvent),
}, strict);

/**
 * GET /api/v1/transfers/policy: the bounds a sender's choices must stay within (the send form shows them). Expiry
 * and download bounds belong to each data class.
 */
export const TransferPolicy = Type.Object({
  minExpirySeconds: Type.Integer(),
  dataClasses: Type.Array(DataClass),
  defaultDataClass: DataClassName,
  maxFiles: Type.Integer(),
  maxRecipients: Type.Integer(),
  maxFileSize: Type.Integer(),
}, strict);

export const TransferIdParams = Type.Object({ transferId: Id }, strict);

/** One stored part as its deletion record lists it. */
export const DeletedPart = Type.Object({
  /** Index of the file in the transfer, and of the part in the file. */
  file: Type.Integer({ minimum: 0 }),
  index: Type.Integer({ minimum: 0 }),
  /** The storage's key of the object (server-made, random). */
  blobKey: Type.String({ pattern: '^[0-9a-f]{32}$' }),
  size: Type.Integer({ minimum: 0 }),
  /** SHA-256 of the ciphertext part, as recorded when it was uploaded. */
  sha256: Bytes32,
  /** When the storage answered "not found" to a lookup right after the delete. */
  goneAt: Timestamp,
}, strict);

/** GET /api/v1/transfers/:transferId/deletion-record: the evidence the purge left (the sender's own transfers). */
export const DeletionRecord = Type.Object({
  transferId: Id,
  dataClass: DataClassName,
  reason: CloseReason,
  /** The time the purge answered to: the expiry, the end of the upload window, or the closing time. */
  deadlineAt: Timestamp,
  purgedAt: Timestamp,
  /** purgedAt − deadlineAt: how late the purge was. */
  lagMs: Type.Integer({ minimum: 0 }),
  blobCount: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
  parts: Type.Array(DeletedPart),
}, strict);

export type TransferState = Static<typeof TransferState>;
export type CloseReason = Static<typeof CloseReason>;
export type DataClass = Static<typeof DataClass>;
export type CreateTransferRequest = Static<typeof CreateTransferRequest>;
export type CreateTransferResponse = Static<typeof CreateTransferResponse>;
export type PartReceipt = Static<typeof PartReceipt>;
export type UploadStatus = Static<typeof UploadStatus>;
export type LinkSlot = Static<typeof LinkSlot>;
export type FinalizeRequest = Static<typeof FinalizeRequest>;
export type MemberSlot = Static<typeof MemberSlot>;
export type ManifestSignature = Static<typeof ManifestSignature>;
export type FinalizeResponse = Static<typeof FinalizeResponse>;
export type AccessEvent = Static<typeof AccessEvent>;
export type TransferSummary = Static<typeof TransferSummary>;
export type TransferList = Static<typeof TransferList>;
export type TransferListQuery = Static<typeof TransferListQuery>;
export type TransferDetail = Static<typeof TransferDetail>;
export type TransferPolicy = Static<typeof TransferPolicy>;
export type DeletedPart = Static<typeof DeletedPart>;
export type DeletionRecord = Static<typeof DeletionRecord>;
