// The gate: proof of the link secret + recipient identity → a download grant (docs/format.md, "Opening").
import { Type, type Static } from '@sinclair/typebox';
import { Base64Url, Bytes32, Email, Id, OneTimeCode, Timestamp, Token } from './primitives.js';
import { LinkSlot } from './transfers.js';

const strict = { additionalProperties: false } as const;

/** POST /api/v1/open/:transferId/challenge → a fresh single-use nonce to prove the link secret against. */
export const ChallengeResponse = Type.Object({
  challengeId: Id,
  nonce: Bytes32,
  slotId: Id,
  expiresAt: Timestamp,
}, strict);

/**
 * POST /api/v1/open/:transferId/code: link proof + the address the recipient says is theirs.
 * The answer is the same whether or not the address is a recipient (no recipient enumeration);
 * a code is e-mailed only to real recipients.
 */
export const RequestCodeRequest = Type.Object({
  challengeId: Id,
  proof: Bytes32,
  email: Email,
}, strict);
export const RequestCodeResponse = Type.Object({
  openingToken: Token,
  codeExpiresAt: Timestamp,
}, strict);

/** POST /api/v1/open/:transferId/grant with an e-mailed code: consumes one download, atomically. */
export const CodeGrantRequest = Type.Object({
  openingToken: Token,
  code: OneTimeCode,
}, strict);

/** POST /api/v1/open/:transferId/member-grant: a signed-in member who is a recipient skips the code. */
export const MemberGrantRequest = Type.Object({
  challengeId: Id,
  proof: Bytes32,
}, strict);

/** What a live grant releases: SS, the link slot, the encrypted manifest and the stored files. */
const releasedFields = {
  grantExpiresAt: Timestamp,
  transferExpiresAt: Timestamp,
  serverShare: Bytes32,
  linkSlot: LinkSlot,
  manifest: Base64Url(16 * 1024 * 1024),
  files: Type.Array(Type.Object({ fileId: Id, ciphertextSize: Type.Integer(), partCount: Type.Integer() }, strict)),
};

export const GrantResponse = Type.Object({ grantToken: Token, ...releasedFields }, strict);

/**
 * GET /api/v1/download/:transferId with `Authorization: Bearer <grantToken>`: the same release again, for a client
 * that was interrupted and resumes with the grant it kept. Consumes nothing (the grant already did).
 */
export const GrantedTransferResponse = Type.Object(releasedFields, strict);

/**
 * GET/HEAD /api/v1/download/:transferId/files/:fileId/parts/:index with `Authorization: Bearer <grantToken>`.
 * Never consumes anything; supports Range. POST /api/v1/download/:transferId/complete ends the grant.
 */
export const DOWNLOAD_PATH = '/api/v1/download';

export type ChallengeResponse = Static<typeof ChallengeResponse>;
export type RequestCodeRequest = Static<typeof RequestCodeRequest>;
export type RequestCodeResponse = Static<typeof RequestCodeResponse>;
export type CodeGrantRequest = Static<typeof CodeGrantRequest>;
export type MemberGrantRequest = Static<typeof MemberGrantRequest>;
export type GrantResponse = Static<typeof GrantResponse>;
export type GrantedTransferResponse = Static<typeof GrantedTransferResponse>;
