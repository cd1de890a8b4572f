// The database's tables as Kysely sees them; migrations/ creates exactly these.
// Conventions: ids are text (base64url of 16 random bytes), times are integer milliseconds since the epoch (bigint
// in PostgreSQL), binary values are blob/bytea (Buffer, a Uint8Array, when read), booleans are integers 0/1.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Integer milliseconds since the Unix epoch. */
export type Millis = number;
/** 0 or 1: the one boolean representation both SQLite and PostgreSQL store the same way. */
export type Flag = 0 | 1;
/** Buffer when read (a Uint8Array); any Uint8Array may be written. */
export type Bytes = Uint8Array;

export type UserStatus = 'pending' | 'active' | 'disabled';
export type SessionKind = 'web' | 'api';
export type TransferState = 'uploading' | 'ready' | 'closed' | 'purged';

export interface UsersTable {
  id: string;
  /** Stored lowercase (enforced by a check): e-mail addresses are compared case-insensitively. */
  email: string;
  is_admin: ColumnType<Flag, Flag | undefined, Flag>;
  status: UserStatus;
  password_hash: string | null;
  totp_secret_enc: Bytes | null;
  /** Last accepted TOTP time step: a code is never accepted twice (RFC 6238 §5.2). */
  totp_last_step: number | null;
  /** null: the configured default quota. */
  quota_bytes: number | null;
  created_at: Millis;
}

export interface EnrollmentsTable {
  id: string;
  /** null: the first administrator's enrollment; the address is chosen while enrolling. */
  email: string | null;
  is_admin: ColumnType<Flag, Flag | undefined, Flag>;
  token_hash: Bytes;
  /** The TOTP secret issued by enroll/start, sealed under the keystore's TOTP key. */
  totp_secret_enc: Bytes | null;
  expires_at: Millis;
  /** Set when completed, or when a newer invitation for the same address replaced this one. */
  used_at: Millis | null;
  created_by: string | null;
  created_at: Millis;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  kind: SessionKind;
  token_hash: Bytes;
  label: string | null;
  created_at: Millis;
  last_used_at: Millis;
  expires_at: Millis | null;
  revoked_at: Millis | null;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  locked_until: Millis;
  updated_at: Millis;
}

export interface DataClassesTable {
  name: string;
  description: ColumnType<string, string | undefined, string>;
  max_expiry_ms: number;
  default_expiry_ms: number;
  max_downloads: number;
  /** Closed and purged once every recipient has downloaded. */
  delete_when_downloaded: Flag;
  /** 0: every recipient must be a member. */
  allow_outside_recipients: Flag;
  updated_at: Millis;
  updated_by: string | null;
}

export type BoxState = 'open' | 'closed';

/** A drop box (docs/format.md §13): its public side and policy; the private keys stay with its owners. */
export interface DropBoxesTable {
  /** The client-made boxId. */
  id: string;
  /** The member who created it: deposits count against their quota. */
  owner_id: string;
  /** From the signed epoch-1 record. */
  name: string;
  sig: 'Ed25519' | 'ECDSA-P256';
  /** The box signing public key (the link's fragment): 32 bytes (Ed25519) or 65 (ECDSA P-256). */
  sig_public_key: Bytes;
  state: BoxState;
  created_at: Millis;
  expires_at: Millis;
  max_deposits: number;
  /** Deposits created (counted atomically at creation; an unfinished one gives its count back when purged). */
  deposits_used: Generated<number>;
  /** Largest deposit in plaintext bytes (all its files). */
  max_deposit_bytes: number;
  /** JSON array of lowercase domains; [] accepts any address. */
  allowed_domains: string;
  data_class: string;
  closed_at: Millis | null;
  /** When the purge deleted its keys (expired, with no deposit left). */
  purged_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
  /** A box a team owns (§13.5): every current member of the team is an owner. */
  owner_team_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One epoch's box key record (canonical JSON) and its 64-byte signature by the box signing key. */
export interface DropBoxKeysTable {
  box_id: string;
  epoch: number;
  record: string;
  signature: Bytes;
  created_at: Millis;
}

/**
 * The box's private key bundle sealed to one owner's certified member key (§13.4), or, for a team's box, to the team
 * key of `team_epoch` (§13.5): user_id or team_id, never both.
 */
export interface DropBoxOwnerKeysTable {
  box_id: string;
  user_id: string | null;
  team_id: ColumnType<string | null, string | null | undefined, string | null>;
  team_epoch: ColumnType<number | null, number | null | undefined, number | null>;
  /** The certified fingerprint (a member's, or the team key's) it was sealed to. */
  fingerprint: Bytes;
  sealed: Bytes;
  created_at: Millis;
}

/** A depositor's one-time code for a box (the gate's opening, for a box). */
export interface BoxOpeningsTable {
  id: string;
  box_id: string;
  /** Lowercase. */
  email: string;
  /** The name the depositor typed. */
  name: string;
  token_hash: Bytes;
  code_hash: Bytes;
  code_expires_at: Millis;
  attempts: Generated<number>;
  created_at: Millis;
  completed_at: Millis | null;
}

/** A verified depositor's bearer token (HMAC stored): one deposit into one box. */
export interface DepositTokensTable {
  id: string;
  box_id: string;
  email: string;
  name: string;
  token_hash: Bytes;
  created_at: Millis;
  expires_at: Millis;
  /** The deposit it created (set once). */
  transfer_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set by finalize: the token does nothing more. */
  spent_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
}

export interface TransfersTable {
  id: string;
  /** The member who sent it; null for a deposit into a drop box (box_id set). */
  sender_id: string | null;
  state: TransferState;
  close_reason: string | null;
  data_class: string;
  created_at: Millis;
  finalized_at: Millis | null;
  expires_in_ms: number;
  expires_at: Millis | null;
  max_downloads: number;
  downloads_used: Generated<number>;
  /** The server share, encrypted under the share key of `ss_epoch`; null once purged. */
  ss_enc: Bytes | null;
  ss_epoch: number;
  link_slot_id: string | null;
  link_slot: Bytes | null;
  link_auth_key: Bytes | null;
  manifest: Bytes | null;
  /** The member sender's 64-byte signature over the manifest (§12.2); null without member slots, and once purged. */
  manifest_signature: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  /** The fingerprint of the key that made `manifest_signature` (kept after the purge). */
  signer_fingerprint: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  total_bytes: number;
  closed_at: Millis | null;
  purged_at: Millis | null;
  purge_attempts: Generated<number>;
  /** When the sender was warned that the transfer is about to expire unopened. */
  expiry_warned_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
  /** A deposit's box; null for a member's transfer. */
  box_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The address the server verified by a code (lowercase), and the name the depositor typed. */
  depositor_email: ColumnType<string | null, string | null | undefined, string | null>;
  depositor_name: ColumnType<string | null, string | null | undefined, string | null>;
  /** The deposit's box slot (§13.3): CK sealed to the box key of `box_slot_epoch`; box_slot is null once purged. */
  box_slot_id: ColumnType<string | null, string | null | undefined, string | null>;
  box_slot: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  box_slot_epoch: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface TransferFilesTable {
  id: string;
  transfer_id: string;
  idx: number;
  ciphertext_size: number;
  part_count: number;
}

export interface PartsTable {
  file_id: string;
  idx: number;
  transfer_id: string;
  blob_key: string;
  size: number;
  sha256: Bytes;
  uploaded_at: Millis;
}

export interface RecipientsTable {
  id: string;
  transfer_id: string;
  email: string;
  created_at: Millis;
  /** First time this recipient's client confirmed a complete, verified download (POST /download/:id/complete). */
  downloaded_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
  /** When the sender was e-mailed about that download. */
  download_notified_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
}

export interface LinkChallengesTable {
  id: string;
  transfer_id: string;
  nonce: Bytes;
  expires_at: Millis;
  used_at: Millis | null;
}

export interface OpeningsTable {
  id: string;
  transfer_id: string;
  /** null for a decoy opening (the address is not a recipient). */
  recipient_id: string | null;
  /** The address asked for (lowercase), recipient or not. */
  email: string;
  token_hash: Bytes;
  code_hash: Bytes;
  code_expires_at: Millis;
  attempts: Generated<number>;
  created_at: Millis;
  completed_at: Millis | null;
}

export interface GrantsTable {
  id: string;
  transfer_id: string;
  recipient_id: string | null;
  user_id: string | null;
  /** The team a member's grant came through (migration 002); null otherwise. */
  team_id: ColumnType<string | null, string | null | undefined, string | null>;
  token_hash: Bytes;
  created_at: Millis;
  expires_at: Millis;
}

/** CK sealed to a member's certified key (§12.1): a recipient's slot, or the sender's own (self slot). */
export interface MemberSlotsTable {
  transfer_id: string;
  /** The client-made slot id (22-char id), bound into the HPKE info; never the transfer's link slot id. */
  slot_id: string;
  user_id: string;
  /** The recipient row this slot serves; null for the sender's self slot. */
  recipient_id: string | null;
  /** The certified fingerprint the slot was sealed to (32 bytes). */
  fingerprint: Bytes;
  /** HPKE enc ‖ ct: 80 bytes (X25519) or 113 (P-256). */
  wrapped: Bytes;
  created_at: Millis;
}

export interface AccessEventsTable {
  id: string;
  transfer_id: string;
  recipient_id: string | null;
  user_id: string | null;
  kind: string;
  at: Millis;
  ip: string | null;
  detail: string | null;
}

export interface AuditLogTable {
  /** Assigned by the database, in append order. */
  seq: Generated<number>;
  at: Millis;
  actor: string | null;
  action: string;
  target: string | null;
  detail: string | null;
  prev_hash: Bytes;
  hash: Bytes;
}

export interface LegalHoldsTable {
  id: string;
  transfer_id: string;
  reason: string;
  placed_by: string | null;
  placed_at: Millis;
  released_by: string | null;
  released_at: Millis | null;
  release_reason: string | null;
}

/** One part as a deletion record lists it. */
export interface DeletedPart {
  /** Index of the file in the transfer, and of the part in the file. */
  readonly file: number;
  readonly index: number;
  readonly blobKey: string;
  readonly size: number;
  /** base64url SHA-256 of the ciphertext part, as recorded when it was uploaded. */
  readonly sha256: string;
  /** When the storage answered "not found" to a stat after the delete. */
  readonly goneAt: Millis;
}

export interface DeletionRecordsTable {
  transfer_id: string;
  /** null for a deposit (its box's owners are told). */
  sender_id: string | null;
  data_class: string;
  reason: string;
  /** The time the purge answered to: the expiry, or the closing time for other reasons. */
  deadline_at: Millis;
  purged_at: Millis;
  lag_ms: number;
  blob_count: number;
  bytes: number;
  /** JSON of DeletedPart[]. */
  parts: string;
  notified_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
}

export interface PurgeRunsTable {
  id: string;
  /** Which server instance ran it (host name and process id). */
  instance: string;
  started_at: Millis;
  finished_at: Millis | null;
  closed: ColumnType<number, number | undefined, number>;
  purged: ColumnType<number, number | undefined, number>;
  failed: ColumnType<number, number | undefined, number>;
}

/** A member's keys (docs/format.md §11); the record is kept exactly as received (its fingerprint names those bytes). */
export interface MemberKeysTable {
  user_id: string;
  /** Canonical JSON of the member key record. */
  record: string;
  /** SHA-256 of the record's UTF-8 bytes (32 bytes). */
  fingerprint: Bytes;
  /** The private key bundle, sealed under the account key UK (never opened by the server). */
  key_bundle: Bytes;
  /** The organisation's 64-byte signature over the fingerprint; null until certified. */
  certificate: Bytes | null;
  certified_at: Millis | null;
  created_at: Millis;
}

export type UnlockKind = 'passphrase' | 'recovery' | 'passkey';

/** One wrap of a member's account key (§11.5). */
export interface UnlockWrapsTable {
  /** The client-made wrapId (22-char id). */
  id: string;
  user_id: string;
  kind: UnlockKind;
  /** JSON {"m","t","p","salt"} for passphrase wraps; null otherwise. */
  argon2: string | null;
  /** base64url WebAuthn credential id for passkey wraps; null otherwise. */
  credential_id: string | null;
  /** 104 bytes. */
  wrapped: Bytes;
  created_at: Millis;
}

/** A team (docs/format.md §13.5): its certified record; its keys and members in the tables below. */
export interface TeamsTable {
  id: string;
  /** The signed record's name. */
  name: string;
  /** lower(NFC(name)): names are unique whatever their case. */
  name_key: string;
  /** Canonical JSON of the team record, as sent. */
  record: string;
  /** SHA-256 of the record (32 bytes). */
  fingerprint: Bytes;
  /** The organisation's 64-byte signature over the fingerprint; null until certified. */
  certificate: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  certified_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
  certified_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_by: string | null;
  created_at: Millis;
  current_epoch: number;
}

/** One epoch's team key record and its signature by the team signing key. */
export interface TeamKeysTable {
  team_id: string;
  epoch: number;
  record: string;
  signature: Bytes;
  /** SHA-256 of the record: what team slots and team boxes' owner keys name. */
  fingerprint: Bytes;
  kem: 'X25519' | 'P-256';
  created_by: string | null;
  created_at: Millis;
}

/** A member of a team and the team keys sealed to their certified key, up to `epoch`. */
export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  epoch: number;
  /** The member key fingerprint the bundle was sealed to. */
  fingerprint: Bytes;
  bundle: Bytes;
  added_by: string | null;
  added_at: Millis;
}

/** A team a transfer is sent to, and from finalize its team slot (CK sealed to the team key of `epoch`). */
export interface TransferTeamsTable {
  transfer_id: string;
  team_id: string;
  slot_id: string | null;
  epoch: number | null;
  fingerprint: Bytes | null;
  /** HPKE enc ‖ ct: 80 bytes (X25519) or 113 (P-256); null before finalize and once purged. */
  wrapped: Bytes | null;
  created_at: Millis;
  /** When a member of the team first confirmed a download: the team counts as one recipient. */
  downloaded_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
  /** When the sender was told so. */
  download_notified_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
}

export interface Database {
  users: UsersTable;
  enrollments: EnrollmentsTable;
  sessions: SessionsTable;
  login_throttle: LoginThrottleTable;
  data_classes: DataClassesTable;
  drop_boxes: DropBoxesTable;
  drop_box_keys: DropBoxKeysTable;
  drop_box_owner_keys: DropBoxOwnerKeysTable;
  box_openings: BoxOpeningsTable;
  deposit_tokens: DepositTokensTable;
  transfers: TransfersTable;
  transfer_files: TransferFilesTable;
  parts: PartsTable;
  recipients: RecipientsTable;
  link_challenges: LinkChallengesTable;
  openings: OpeningsTable;
  grants: GrantsTable;
  member_slots: MemberSlotsTable;
  access_events: AccessEventsTable;
  audit_log: AuditLogTable;
  legal_holds: LegalHoldsTable;
  deletion_records: DeletionRecordsTable;
  purge_runs: PurgeRunsTable;
  member_keys: MemberKeysTable;
  unlock_wraps: UnlockWrapsTable;
  teams: TeamsTable;
  team_keys: TeamKeysTable;
  team_members: TeamMembersTable;
  transfer_teams: TransferTeamsTable;
}

export type Row<T extends keyof Database> = Selectable<Database[T]>;
export type NewRow<T extends keyof Database> = Insertable<Database[T]>;
export type RowUpdate<T extends keyof Database> = Updateable<Database[T]>;
