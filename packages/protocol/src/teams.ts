// Team mailboxes (docs/format.md §13.5): a service ("Virology lab") receives transfers and owns drop boxes as a team.
// The server stores the team's certified record, its signed epoch keys and one sealed bundle per member; it opens none
// of them. Adding a member seals the bundle to them; removing one re-keys the team (and its boxes) in one request.
import { Type, type Static } from '@sinclair/typebox';
import { Base64Url, Bytes32, Email, Id, Timestamp, Token } from './primitives.js';
import { Certificate, Fingerprint } from './member-keys.js';
import { SignedBoxKey } from './drop-boxes.js';
import { ManifestSignature } from './transfers.js';

const strict = { additionalProperties: false } as const;

export const TEAM_LIMITS = {
  /** The canonical JSON of a team record (§13.5): a 200-character name, escaped at worst, and a P-256 key. */
  recordChars: 2_000,
  /** The canonical JSON of a team key record. */
  keyRecordChars: 1_000,
  /** A member's sealed copy of the team keys: grows by one epoch per removal. */
  bundleBytes: 64 * 1024,
  /** Members of one team. */
  maxMembers: 500,
  /** Drop boxes one team may own (a removal re-keys each of them in the same request). */
  maxBoxes: 200,
  /** POST /teams/:id/members/:memberId/remove carries a bundle per member and a box epoch per box. */
  removeBodyBytes: 16 * 1024 * 1024,
} as const;

/** A team's name: what the record says (1–200 characters, trimmed). */
export const TeamName = Type.String({ minLength: 1, maxLength: 200 });

/** The team record exactly as its first member's client serialised it (RFC 8785 canonical JSON, checked byte for byte). */
export const TeamRecordText = Type.String({ minLength: 2, maxLength: TEAM_LIMITS.recordChars, description: 'canonical JSON of the team record' });

/** One epoch's team key record (canonical JSON) and its 64-byte signature by the team signing key, base64url. */
export const SignedTeamKey = Type.Object({
  record: Type.String({ minLength: 2, maxLength: TEAM_LIMITS.keyRecordChars, description: 'canonical JSON of the team key record' }),
  signature: Type.String({ pattern: '^[A-Za-z0-9_-]{86}$', description: '64 bytes, base64url' }),
}, strict);

/** The team's private keys sealed to one member's certified key (HPKE, §13.5), base64url. */
export const TeamBundle = Base64Url(Math.ceil((TEAM_LIMITS.bundleBytes * 4) / 3));

/** POST /api/v1/teams: the creator's client made the team (record, epoch-1 key, bundle sealed to the creator). */
export const CreateTeamRequest = Type.Object({
  record: TeamRecordText,
  key: SignedTeamKey,
  bundle: TeamBundle,
}, strict);

/** A member of the team, and the newest epoch their sealed bundle holds. */
export const TeamMember = Type.Object({
  memberId: Id,
  email: Email,
  epoch: Type.Integer({ minimum: 1 }),
  addedAt: Timestamp,
}, strict);

/** The signed-in member's own copy of the team keys. */
export const TeamBundleCopy = Type.Object({
  /** The newest epoch sealed in it. */
  epoch: Type.Integer({ minimum: 1 }),
  /** The member key fingerprint it was sealed to. */
  fingerprint: Fingerprint,
  bundle: TeamBundle,
}, strict);

/** GET /api/v1/teams: the teams the member belongs to. */
export const TeamSummary = Type.Object({
  teamId: Id,
  name: TeamName,
  record: TeamRecordText,
  /** The organisation's signature over the record; null until an administrator certified the team. */
  certificate: Type.Union([Certificate, Type.Null()]),
  currentEpoch: Type.Integer({ minimum: 1 }),
  memberCount: Type.Integer({ minimum: 0 }),
  createdAt: Timestamp,
}, strict);
export const TeamList = Type.Object({ teams: Type.Array(TeamSummary, { maxItems: 10_000 }) }, strict);

/**
 * GET /api/v1/teams/:teamId (members only): everything a member's client needs to open the team keys (every epoch's
 * signed record and its own sealed bundle), to add a member, or to re-key on a removal (members and owned boxes).
 */
export const TeamDetail = Type.Object({
  teamId: Id,
  name: TeamName,
  record: TeamRecordText,
  certificate: Type.Union([Certificate, Type.Null()]),
  createdAt: Timestamp,
  currentEpoch: Type.Integer({ minimum: 1 }),
  /** Every epoch, oldest first. */
  keys: Type.Array(SignedTeamKey, { minItems: 1, maxItems: 10_000 }),
  members: Type.Array(TeamMember, { maxItems: TEAM_LIMITS.maxMembers }),
  /** The drop boxes the team owns (not purged): a removal gives each a new epoch. */
  boxes: Type.Array(Type.Object({ boxId: Id, name: Type.String({ maxLength: 200 }), currentEpoch: Type.Integer({ minimum: 1 }) }, strict), { maxItems: TEAM_LIMITS.maxBoxes }),
  mine: TeamBundleCopy,
}, strict);

export const TeamIdParams = Type.Object({ teamId: Id }, strict);
export const TeamMemberParams = Type.Object({ teamId: Id, memberId: Id }, strict);
export const TeamKeyByNameQuery = Type.Object({ name: TeamName }, strict);

/**
 * GET /api/v1/teams/key?name=… and GET /api/v1/teams/:teamId/key (any member): what a sender's client seals a team
 * slot to. The client MUST verify the certificate against its pinned organisation key, the key's signature by the
 * team, and refuse an epoch lower than one it has seen. team_unavailable (404) while the team is not certified.
 */
export const PublicTeamKey = Type.Object({
  teamId: Id,
  name: TeamName,
  record: TeamRecordText,
  certificate: Certificate,
  epoch: Type.Integer({ minimum: 1 }),
  key: SignedTeamKey,
}, strict);

/** A member's copy of the team keys, sealed by the adding member's client to the newcomer's certified key (§13.5). */
export const SealedTeamCopy = Type.Object({
  /** The team's current epoch (the newest the bundle holds); team_key_changed when it is not. */
  epoch: Type.Integer({ minimum: 1 }),
  bundle: TeamBundle,
}, strict);

/** POST /api/v1/teams/:teamId/members: a member adds another member (with a certified key), sealing the bundle to them. */
export const AddTeamMemberRequest = Type.Object({
  memberId: Id,
  copy: SealedTeamCopy,
}, strict);

/** A new box epoch for one box the team owns (§13.2, §13.4): its signed record and the box keys sealed to the new team key. */
export const TeamBoxRekey = Type.Object({
  boxId: Id,
  key: SignedBoxKey,
  /** The box keys (every epoch) sealed to the team's new key: ownerFingerprint = the new team key's fingerprint. */
  sealed: Base64Url(87_382),
}, strict);

/**
 * POST /api/v1/teams/:teamId/members/:memberId/remove: the whole re-keying in one request — the team key of epoch
 * current+1 signed by the team, the extended bundle sealed to every remaining member (exactly those), and a new epoch
 * for every box the team owns. Anything missing or extra is team_rekey_incomplete; a stale epoch team_key_changed.
 * A member may remove themselves (leave) the same way, as long as someone remains.
 */
export const RemoveTeamMemberRequest = Type.Object({
  key: SignedTeamKey,
  /** One per remaining member (exactly them), each sealed to that member's certified key. */
  copies: Type.Array(Type.Object({ memberId: Id, bundle: TeamBundle }, strict), { maxItems: TEAM_LIMITS.maxMembers }),
  /** One per box the team owns (exactly them). */
  boxes: Type.Array(TeamBoxRekey, { maxItems: TEAM_LIMITS.maxBoxes }),
}, strict);

/** The answer of a removal: the team's new epoch (the caller may have left: no member list). */
export const TeamRekeyed = Type.Object({ teamId: Id, currentEpoch: Type.Integer({ minimum: 2 }) }, strict);

/** A team slot of a transfer (§13.5): CK sealed to the team key of `epoch`. */
export const TeamSlot = Type.Object({
  teamId: Id,
  slotId: Id,
  epoch: Type.Integer({ minimum: 1 }),
  wrapped: Base64Url(152),
}, strict);

/**
 * POST /api/v1/inbox/:transferId/open-team: a member of a team the transfer was sent to. Like an inbox open (the
 * first open consumes one download, a reopen while a grant lives does not), with the team slot instead of a member
 * slot; the client opens it with the team key of `teamSlot.epoch` and checks the sender's signature.
 */
export const TeamOpenResponse = Type.Object({
  grantToken: Token,
  grantExpiresAt: Timestamp,
  transferExpiresAt: Timestamp,
  serverShare: Bytes32,
  team: Type.Object({ teamId: Id, name: TeamName }, strict),
  teamSlot: TeamSlot,
  manifest: Base64Url(16 * 1024 * 1024),
  manifestSignature: ManifestSignature,
  sender: Type.Object({ memberId: Id, email: Email }, strict),
  files: Type.Array(Type.Object({ fileId: Id, ciphertextSize: Type.Integer(), partCount: Type.Integer() }, strict), { maxItems: 10_000 }),
}, strict);

export const AdminTeam = Type.Object({
  teamId: Id,
  name: TeamName,
  record: TeamRecordText,
  fingerprint: Fingerprint,
  createdAt: Timestamp,
  createdBy: Type.Union([Email, Type.Null()]),
  certifiedAt: Type.Union([Timestamp, Type.Null()]),
}, strict);
export const AdminTeamList = Type.Object({ teams: Type.Array(AdminTeam, { maxItems: 10_000 }) }, strict);
/** GET /api/v1/admin/teams?status=pending|certified|all (default pending). */
export const AdminTeamsQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('certified'), Type.Literal('all')])),
}, strict);

/** POST /api/v1/admin/teams/:teamId/certificate: `fingerprint` names the record the administrator checked and signed. */
export const CertifyTeamRequest = Type.Object({
  fingerprint: Fingerprint,
  certificate: Certificate,
}, strict);

export type TeamRecordText = Static<typeof TeamRecordText>;
export type SignedTeamKey = Static<typeof SignedTeamKey>;
export type CreateTeamRequest = Static<typeof CreateTeamRequest>;
export type TeamMember = Static<typeof TeamMember>;
export type TeamBundleCopy = Static<typeof TeamBundleCopy>;
export type TeamSummary = Static<typeof TeamSummary>;
export type TeamList = Static<typeof TeamList>;
export type TeamDetail = Static<typeof TeamDetail>;
export type TeamIdParams = Static<typeof TeamIdParams>;
export type TeamMemberParams = Static<typeof TeamMemberParams>;
export type TeamKeyByNameQuery = Static<typeof TeamKeyByNameQuery>;
export type PublicTeamKey = Static<typeof PublicTeamKey>;
export type SealedTeamCopy = Static<typeof SealedTeamCopy>;
export type AddTeamMemberRequest = Static<typeof AddTeamMemberRequest>;
export type TeamBoxRekey = Static<typeof TeamBoxRekey>;
export type RemoveTeamMemberRequest = Static<typeof RemoveTeamMemberRequest>;
export type TeamRekeyed = Static<typeof TeamRekeyed>;
export type TeamSlot = Static<typeof TeamSlot>;
export type TeamOpenResponse = Static<typeof TeamOpenResponse>;
export type AdminTeam = Static<typeof AdminTeam>;
export type AdminTeamList = Static<typeof AdminTeamList>;
export type AdminTeamsQuery = Static<typeof AdminTeamsQuery>;
export type CertifyTeamRequest = Static<typeof CertifyTeamRequest>;
