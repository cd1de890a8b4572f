// The member inbox: transfers sent to a member's key (member slots), listed and opened without any link.
import { Type, type Static } from '@sinclair/typebox';
import { Base64Url, Bytes32, Email, Id, Timestamp, Token } from './primitives.js';
import { CloseReason, ManifestSignature, TransferState } from './transfers.js';

const strict = { additionalProperties: false } as const;

/** One transfer in GET /api/v1/inbox: what the server knows (names and the message are in the encrypted manifest). */
export const InboxEntry = Type.Object({
  transferId: Id,
  /** 'transfer': from a colleague (sender set, signed); 'deposit': into one of the member's drop boxes (deposit set). */
  kind: Type.Union([Type.Literal('transfer'), Type.Literal('deposit')]),
  sender: Type.Union([Type.Object({ memberId: Id, email: Email }, strict), Type.Null()]),
  /** An unverified sender: the address the server verified by a code, and the name they typed. */
  deposit: Type.Union([Type.Object({ boxId: Id, boxName: Type.String(), depositorEmail: Email, depositorName: Type.String() }, strict), Type.Null()]),
  state: TransferState,
  closeReason: Type.Union([CloseReason, Type.Null()]),
  createdAt: Timestamp,
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  fileCount: Type.Integer(),
  contentBytes: Type.Integer({ description: 'plaintext bytes of all files' }),
  /**
   * When this member's client reported a complete, verified download; null before. For an entry reaching the member
   * through a team: when any member of the team first did (the team counts as one recipient).
   */
  downloadedAt: Type.Union([Timestamp, Type.Null()]),
  /**
   * Reaches the member through a team (§13.5): a transfer with a team slot (open it with POST …/open-team), or a
   * deposit into a box the team owns. null: addressed to the member themselves.
   */
  team: Type.Union([Type.Object({ teamId: Id, name: Type.String({ maxLength: 200 }) }, strict), Type.Null()]),
}, strict);
export const InboxList = Type.Object({ transfers: Type.Array(InboxEntry) }, strict);

/**
 * POST /api/v1/inbox/:transferId/open: a signed-in member with a member slot in the transfer. A recipient's first
 * open consumes one download (atomically, like a link's grant); opening again while a grant is live, or the sender
 * opening their own transfer (self slot), consumes nothing. Releases SS, this member's slot, the manifest and its
 * signature, and a grant for the parts (GET /api/v1/download/…).
 */
export const MemberOpenResponse = Type.Object({
  grantToken: Token,
  grantExpiresAt: Timestamp,
  transferExpiresAt: Timestamp,
  serverShare: Bytes32,
  memberSlot: Type.Object({ slotId: Id, wrapped: Base64Url(152) }, strict),
  manifest: Base64Url(16 * 1024 * 1024),
  manifestSignature: ManifestSignature,
  sender: Type.Object({ memberId: Id, email: Email }, strict),
  files: Type.Array(Type.Object({ fileId: Id, ciphertextSize: Type.Integer(), partCount: Type.Integer() }, strict)),
}, strict);

export type InboxEntry = Static<typeof InboxEntry>;
export type InboxList = Static<typeof InboxList>;
export type MemberOpenResponse = Static<typeof MemberOpenResponse>;
