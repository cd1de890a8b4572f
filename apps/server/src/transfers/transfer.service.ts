// The sender's side of a transfer: create (policy, quota, SS), resume status, finalize, revoke.
import { LINK_SLOT_SIZE, SIGNATURE_SIZE, memberSlotSize, parseTeamKeyRecord, teamSlotSize } from '@valise/crypto';
import type {
  CreateTransferRequest, CreateTransferResponse, FinalizeRequest, FinalizeResponse, TransferPolicy, UploadStatus,
} from '@valise/protocol';
import { newId } from '../accounts/tokens.js';
import type { AuditRepository } from '../audit/audit.repository.js';
import type { Clock } from '../clock.js';
import type { PolicyLimits } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { Keystore } from '../keystore.js';
import { GrantRepository } from '../gate/grant.repository.js';
import type { MemberKeyService } from '../members/member-keys.service.js';
import { dataClassView, type DataClassService } from '../retention/data-class.service.js';
import type { TeamDirectory } from '../teams/team-directory.js';
import type { TeamNotices } from '../teams/team-mail.js';
import { PartRepository } from './part.repository.js';
import { newServerShare, openServerShare } from './server-share.js';
import { MIN_EXPIRY_MS, bytesInWords, durationInWords, normalizeEmail, planTransfer } from './transfer.policy.js';
import { TransferRepository, type LinkValues, type NewMemberSlot, type NewTeamSlot, type TransferRow } from './transfer.repository.js';

export interface TransferServiceDeps {
  readonly handle: DatabaseHandle;
  readonly keystore: Keystore;
  readonly clock: Clock;
  readonly audit: AuditRepository;
  readonly limits: PolicyLimits;
  readonly dataClasses: DataClassService;
  /** Without a trailing slash. */
  readonly publicUrl: string;
  /** Whose keys member slots may be sealed to: active members' keys certified by the organisation key. */
  readonly memberKeys: Pick<MemberKeyService, 'certifiedByEmail' | 'certifiedById'>;
  readonly inboxNotices?: InboxNotices;
  /** Teams a transfer may be sent to (certified), and their members; without it, no transfer names a team. */
  readonly teams?: TeamDirectory;
  readonly teamNotices?: TeamNotices;
}

/** What the inbox notice needs once a transfer reached members' inboxes (sent after the answer, never awaited). */
export interface InboxNotices {
  addressed(facts: {
    readonly transferId: string;
    readonly senderEmail: string;
    /** Member recipients with a slot (never the sender). */
    readonly recipients: readonly string[];
    readonly fileCount: number;
    readonly expiresAt: number;
  }): void;
}

interface CheckedMemberSlots {
  readonly slots: readonly NewMemberSlot[];
  readonly signature: { readonly signature: Uint8Array; readonly signerFingerprint: Uint8Array } | null;
  /** The member recipients to tell (not the sender). */
  readonly notify: readonly string[];
}

/** The signed-in member acting as sender. */
export interface Sender {
  readonly id: string;
  readonly email: string;
}

export class TransferService {
  readonly #deps: TransferServiceDeps;
  readonly #transfers: TransferRepository;
  readonly #parts: PartRepository;
  readonly #grants: GrantRepository;

  constructor(deps: TransferServiceDeps) {
    this.#deps = deps;
    this.#transfers = new TransferRepository(deps.handle);
    this.#parts = new PartRepository(deps.handle);
    this.#grants = new GrantRepository(deps.handle);
  }

  /** What the send form needs to know of the policy. */
  async policy(): Promise<TransferPolicy> {
    const { limits, dataClasses } = this.#deps;
    return {
      minExpirySeconds: MIN_EXPIRY_MS / 1000,
      dataClasses: (await dataClasses.list()).map(dataClassView),
      defaultDataClass: limits.defaultDataClass,
      maxFiles: limits.maxFiles,
      maxRecipients: limits.maxRecipients,
      maxFileSize: limits.maxFileSize,
    };
  }

  async create(sender: Sender, request: CreateTransferRequest): Promise<CreateTransferResponse> {
    const { handle, keystore, clock, limits, audit, dataClasses } = this.#deps;
    const dataClass = await dataClasses.resolve(request.dataClass);
    const teamIds = [...new Set(request.teams ?? [])];
    const teamMembers = await this.#sealableTeams(teamIds);
    const plan = planTransfer(request, limits, dataClass, teamMembers);
    if (!dataClass.allowOutsideRecipients) {
      const outside = await this.#transfers.nonMembers(plan.recipients);
      if (outside.length > 0) {
        throw new AppError('outside_recipient_not_allowed', { detail: `The data class "${dataClass.name}" only allows members as recipients; not members: ${outside.join(', ')}.` });
      }
    }
    const transferId = newId();
    const { share, sealed } = newServerShare(keystore, transferId);
    const files = plan.files.map((f) => ({ id: newId(), ciphertextSize: f.ciphertextSize, partCount: f.partCount }));
    const now = clock.now();
    await withWriteTransaction(
      handle,
      async (trx) => {
        const quota = (await this.#transfers.userQuota(trx, sender.id)) ?? limits.userQuota;
        const used = await this.#transfers.liveBytes(trx, sender.id);
        if (used + plan.totalBytes > quota) {
          throw new AppError('quota_exceeded', { detail: `This transfer needs ${bytesInWords(plan.totalBytes)}; ${bytesInWords(Math.max(0, quota - used))} of your ${bytesInWords(quota)} are free.` });
        }
        await this.#transfers.insert(trx, {
          id: transferId, senderId: sender.id, dataClass: dataClass.name, createdAt: now, expiresInMs: plan.expiresInMs, maxDownloads: plan.maxDownloads,
          ssEnc: sealed.sealed, ssEpoch: sealed.epoch, totalBytes: plan.totalBytes, files,
          recipients: plan.recipients.map((email) => ({ id: newId(), email })), teams: teamIds,
        });
      },
      // Two creations by one sender at once must not both fit in the same remaining quota.
      { lock: `quota:${sender.id}` },
    );
    await audit.append({
      actor: sender.id, action: 'transfer.created', target: transferId,
      detail: {
        dataClass: dataClass.name, files: files.length, bytes: plan.totalBytes, recipients: plan.recipients.length, expiresInMs: plan.expiresInMs, maxDownloads: plan.maxDownloads,
        ...(teamIds.length > 0 ? { teams: teamIds } : {}),
      },
    });
    return {
      transferId,
      dataClass: dataClass.name,
      serverShare: Buffer.from(share).toString('base64url'),
      files: files.map((f) => ({ fileId: f.id, ciphertextSize: f.ciphertextSize, partCount: f.partCount })),
      expiresInSeconds: Math.floor(plan.expiresInMs / 1000),
      maxDownloads: plan.maxDownloads,
    };
  }

  /** What has arrived, for resuming; SS is given back to the owner only while the upload is unfinished. */
  async uploadStatus(sender: Sender, transferId: string): Promise<UploadStatus> {
    return uploadStatusOf(this.#deps.keystore, this.#transfers, this.#parts, await this.#owned(sender, transferId));
  }

  /**
   * Freezes the transfer: every part is there; the link (link slot and A) and/or the member slots, the manifest and
   * its signature are stored in one transaction; the clock starts. Member recipients are then told by e-mail.
   */
  async finalize(sender: Sender, transferId: string, request: FinalizeRequest): Promise<FinalizeResponse> {
    const { handle, clock, audit, publicUrl } = this.#deps;
    const owned = await this.#owned(sender, transferId);
    if (owned.state !== 'uploading') throw new AppError('transfer_not_uploading');
    const link = checkLink(request);
    const manifest = strictBase64Url(request.manifest, 'manifest');
    if (manifest.length === 0) throw new AppError('validation_failed', { detail: 'The manifest is empty.' });
    const members = await this.#checkMemberSlots(sender, transferId, request, link);
    const teamSlots = await this.#checkTeamSlots(transferId, request, [...(link === null ? [] : [link.slotId]), ...members.slots.map((m) => m.slotId)]);

    const now = clock.now();
    let expiresAt = 0;
    try {
      await withWriteTransaction(handle, async (trx) => {
        // Locks the row: no part can be recorded between the count below and the state change.
        if (!(await this.#transfers.lockIfUploading(trx, transferId))) throw new AppError('transfer_not_uploading');
        const transfer = (await this.#transfers.findById(transferId, trx)) as TransferRow;
        const expected = (await this.#transfers.files(transferId, trx)).reduce((sum, f) => sum + f.part_count, 0);
        const received = await this.#parts.countByTransfer(transferId, trx);
        if (received < expected) {
          throw new AppError('upload_incomplete', { detail: `${expected - received} of ${expected} parts have not been uploaded yet.` });
        }
        // Never past the class maximum counted from creation, even for an upload that took long to finish.
        const dataClass = await this.#deps.dataClasses.resolve(transfer.data_class, trx);
        expiresAt = Math.min(now + transfer.expires_in_ms, transfer.created_at + dataClass.maxExpiryMs);
        if (expiresAt <= now) throw new AppError('expiry_out_of_range', { detail: `This upload took longer than the data class "${dataClass.name}" lets a transfer live (${durationInWords(dataClass.maxExpiryMs)} from its creation).` });
        // A team re-keyed since the checks above: its slot is sealed to a key its next members never get.
        for (const slot of teamSlots) {
          const team = await this.#deps.teams?.repository.find(slot.teamId, trx);
          if (team?.current_epoch !== slot.epoch) throw new AppError('team_key_changed', { detail: `The team ${slot.teamId} has a newer key: fetch it again and seal to it.` });
        }
        await this.#transfers.markReady(trx, transferId, {
          now, expiresAt, link, manifest, signature: members.signature, memberSlots: members.slots, teamSlots,
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('conflict', { detail: 'This link slot id is already in use; make a new one.' });
      throw error;
    }
    await audit.append({
      actor: sender.id, action: 'transfer.finalized', target: transferId,
      detail: { expiresAt, memberSlots: members.slots.length, link: link !== null, ...(teamSlots.length > 0 ? { teamSlots: teamSlots.map((t) => ({ teamId: t.teamId, epoch: t.epoch })) } : {}) },
    });
    const fileCount = members.notify.length + teamSlots.length > 0 ? (await this.#transfers.files(transferId)).length : 0;
    if (members.notify.length > 0) {
      this.#deps.inboxNotices?.addressed({ transferId, senderEmail: sender.email, recipients: members.notify, fileCount, expiresAt });
    }
    for (const slot of teamSlots) {
      const team = await this.#deps.teams?.repository.find(slot.teamId);
      // Members already told as recipients, and the sender, are not told twice.
      const recipients = (await this.#deps.teams?.memberEmails(slot.teamId) ?? []).filter((e) => e !== sender.email && !members.notify.includes(e));
      if (team && recipients.length > 0) this.#deps.teamNotices?.transferSent({ transferId, senderEmail: sender.email, teamName: team.name, recipients, fileCount, expiresAt });
    }
    return { transferId, expiresAt, linkBase: link === null ? null : `${publicUrl}/t/${transferId}` };
  }

  /**
   * The member slots' rules (docs/format.md §12): each names a recipient of this transfer or the sender (the self
   * slot), once; slot ids are distinct (the link slot's too); each was sealed to the member's current certified key,
   * with the length that key's KEM gives; they come with the sender's manifest signature; and a recipient without a
   * slot needs the link.
   */
  async #checkMemberSlots(sender: Sender, transferId: string, request: FinalizeRequest, link: LinkValues | null): Promise<CheckedMemberSlots> {
    const requested = request.memberSlots ?? [];
    const teamSlots = request.teamSlots ?? [];
    if (link === null && requested.length === 0 && teamSlots.length === 0) {
      throw new AppError('validation_failed', { detail: 'Give a link (linkSlot and linkAuthKey), member slots (memberSlots), team slots (teamSlots), or several.' });
    }
    const signature = await this.#checkSignature(sender, request, requested.length > 0 || teamSlots.length > 0);

    const recipients = await this.#transfers.recipientsOf(transferId);
    const byEmail = new Map(recipients.map((r) => [r.email, r]));
    const emails = new Set<string>();
    const slotIds = new Set<string>(link === null ? [] : [link.slotId]);
    const parsed = requested.map((slot) => {
      const email = normalizeEmail(slot.email);
      const bad = (why: string) => new AppError('member_slot_invalid', { detail: `The member slot for ${email} ${why}.` });
      const recipient = byEmail.get(email);
      if (!recipient && email !== sender.email) throw bad('does not name a recipient of this transfer (or you)');
      if (emails.has(email)) throw bad('is given twice');
      emails.add(email);
      if (!isCanonicalId(slot.slotId)) throw bad('has a slot id that is not a canonical 16-byte id');
      if (slotIds.has(slot.slotId)) throw bad('has a slot id already used by another slot of this transfer');
      slotIds.add(slot.slotId);
      const fingerprint = strictBase64Url(slot.fingerprint, 'memberSlots.fingerprint');
      const wrapped = strictBase64Url(slot.wrapped, 'memberSlots.wrapped');
      return { email, recipientId: recipient?.id ?? null, slotId: slot.slotId, fingerprint, wrapped };
    });

    const { keys, unavailable } = await this.#deps.memberKeys.certifiedByEmail(parsed.map((p) => p.email));
    const slots = parsed.map((p): NewMemberSlot => {
      const key = keys.get(p.email);
      if (!key || !sameBytes(key.fingerprint, p.fingerprint)) {
        // One answer for every cause (as the key lookup gives one 404): the client fetches the key again.
        throw new AppError('member_key_changed', {
          detail: `The slot for ${p.email} is not sealed to their current certified key: fetch their key again, or send them the link.`,
          reason: `transfer ${transferId}: slot for ${p.email}: ${key ? 'another fingerprint' : unavailable.get(p.email) ?? 'no key'}`,
        });
      }
      const size = memberSlotSize(key.kem);
      if (p.wrapped.length !== size) {
        throw new AppError('member_slot_invalid', { detail: `The member slot for ${p.email} must be ${size} bytes for a ${key.kem} key (got ${p.wrapped.length}).` });
      }
      return { slotId: p.slotId, userId: key.memberId, recipientId: p.recipientId, fingerprint: p.fingerprint, wrapped: p.wrapped };
    });

    const covered = new Set(slots.map((s) => s.recipientId));
    const uncovered = recipients.filter((r) => !covered.has(r.id)).map((r) => r.email);
    if (link === null && uncovered.length > 0) {
      const named = uncovered.length > 10 ? `${uncovered.slice(0, 10).join(', ')} and ${uncovered.length - 10} more` : uncovered.join(', ');
      throw new AppError('link_required', { detail: `No member slot for ${named}: these recipients need the link.` });
    }
    const notify = parsed.filter((p) => p.recipientId !== null && p.email !== sender.email).map((p) => p.email);
    return { slots, signature, notify };
  }

  /** The teams named exist and are certified (team_unavailable otherwise); answers how many members they have. */
  async #sealableTeams(teamIds: readonly string[]): Promise<number> {
    let members = 0;
    for (const teamId of teamIds) {
      const sealable = this.#deps.teams ? await this.#deps.teams.sealable(teamId) : 'teams are not enabled';
      if (typeof sealable === 'string') throw new AppError('team_unavailable', { detail: `The team ${teamId} does not exist or is not certified.`, reason: sealable });
      members += await this.#deps.teams!.memberCount(teamId);
    }
    return members;
  }

  /**
   * The team slots' rules (docs/format.md §13.5): exactly one for each team named at creation, each sealed to that
   * team's current key (team_key_changed for an older epoch) with that key's exact size, slot ids distinct from
   * every other slot of the transfer.
   */
  async #checkTeamSlots(transferId: string, request: FinalizeRequest, otherSlotIds: readonly string[]): Promise<NewTeamSlot[]> {
    const named = await this.#transfers.teamsOf(transferId);
    const slotIds = new Set(otherSlotIds);
    const seen = new Set<string>();
    const slots: NewTeamSlot[] = [];
    for (const slot of request.teamSlots ?? []) {
      const bad = (why: string) => new AppError('team_slot_invalid', { detail: `The team slot for ${slot.teamId} ${why}.` });
      if (!named.includes(slot.teamId)) throw bad('does not name a team this transfer was sent to');
      if (seen.has(slot.teamId)) throw bad('is given twice');
      seen.add(slot.teamId);
      if (!isCanonicalId(slot.slotId)) throw bad('has a slot id that is not a canonical 16-byte id');
      if (slotIds.has(slot.slotId)) throw bad('has a slot id already used by another slot of this transfer');
      slotIds.add(slot.slotId);
      const wrapped = strictBase64Url(slot.wrapped, 'teamSlots.wrapped');
      const sealable = this.#deps.teams ? await this.#deps.teams.sealable(slot.teamId) : 'teams are not enabled';
      if (typeof sealable === 'string') throw new AppError('team_unavailable', { detail: `The team ${slot.teamId} is not certified any more.`, reason: sealable });
      if (slot.epoch !== sealable.key.epoch) {
        throw new AppError('team_key_changed', { detail: `The team slot for ${slot.teamId} is sealed to epoch ${slot.epoch}; the team's current key is epoch ${sealable.key.epoch}.` });
      }
      const { kem } = parseTeamKeyRecord(sealable.key.record);
      if (wrapped.length !== teamSlotSize(kem)) throw bad(`must be ${teamSlotSize(kem)} bytes for the team's ${kem} key (got ${wrapped.length})`);
      slots.push({ teamId: slot.teamId, slotId: slot.slotId, epoch: slot.epoch, fingerprint: new Uint8Array(sealable.key.fingerprint), wrapped });
    }
    const missing = named.filter((id) => !seen.has(id));
    if (missing.length > 0) throw new AppError('team_slot_invalid', { detail: `No team slot for the teams ${missing.join(', ')}: a team opens the transfer only through its slot.` });
    return slots;
  }

  /** The manifest signature: 64 bytes, named by the sender's own current certified key; required with member slots. */
  async #checkSignature(sender: Sender, request: FinalizeRequest, required: boolean): Promise<CheckedMemberSlots['signature']> {
    const given = request.manifestSignature;
    if (given === undefined) {
      if (required) throw new AppError('manifest_signature_invalid', { detail: 'Member slots need the sender\'s manifest signature (manifestSignature).' });
      return null;
    }
    const signature = strictBase64Url(given.signature, 'manifestSignature.signature');
    if (signature.length !== SIGNATURE_SIZE) throw new AppError('manifest_signature_invalid', { detail: `The manifest signature must be ${SIGNATURE_SIZE} bytes.` });
    const signerFingerprint = strictBase64Url(given.signerFingerprint, 'manifestSignature.signerFingerprint');
    const mine = await this.#deps.memberKeys.certifiedById(sender.id);
    if (typeof mine === 'string' || !sameBytes(mine.fingerprint, signerFingerprint)) {
      throw new AppError('manifest_signature_invalid', {
        detail: 'The manifest signature does not name your current certified key: fetch your keys again.',
        reason: `sender ${sender.id}: ${typeof mine === 'string' ? mine : 'another fingerprint'}`,
      });
    }
    return { signature, signerFingerprint };
  }

  /**
   * Closes the transfer now (an unfinished upload is abandoned the same way). Grants are deleted in the same
   * transaction, so a download in progress stops at its next request. Revoking twice is not an error.
   */
  async revoke(sender: Sender, transferId: string): Promise<void> {
    const { handle, clock, audit } = this.#deps;
    await this.#owned(sender, transferId);
    const now = clock.now();
    const changed = await withWriteTransaction(handle, async (trx) => {
      const closed = await this.#transfers.close(trx, transferId, { reason: 'revoked', now, from: ['uploading', 'ready'] });
      if (closed) await this.#grants.deleteByTransfer(trx, transferId);
      return closed;
    });
    if (changed) await audit.append({ actor: sender.id, action: 'transfer.revoked', target: transferId });
  }

  /** A transfer of someone else answers exactly like one that does not exist. */
  async #owned(sender: Sender, transferId: string): Promise<TransferRow> {
    const transfer = await this.#transfers.findOwned(transferId, sender.id);
    if (!transfer) throw new AppError('not_found');
    return transfer;
  }
}

/** What has arrived of a transfer, for resuming; SS only while the upload is unfinished (its uploader's need). */
export async function uploadStatusOf(keystore: Keystore, transfers: TransferRepository, partRepo: PartRepository, transfer: TransferRow): Promise<UploadStatus> {
  const files = await transfers.files(transfer.id);
  const parts = await partRepo.listByTransfer(transfer.id);
  const serverShare =
    transfer.state === 'uploading' && transfer.ss_enc !== null
      ? Buffer.from(openServerShare(keystore, transfer.id, { sealed: transfer.ss_enc, epoch: transfer.ss_epoch })).toString('base64url')
      : null;
  return {
    transferId: transfer.id,
    state: transfer.state,
    serverShare,
    files: files.map((f) => ({
      fileId: f.id,
      ciphertextSize: f.ciphertext_size,
      partCount: f.part_count,
      received: parts
        .filter((p) => p.file_id === f.id)
        .sort((a, b) => a.idx - b.idx)
        .map((p) => ({ index: p.idx, sha256: Buffer.from(p.sha256).toString('base64url') })),
    })),
  };
}

/** The link slot and A, both or neither. */
function checkLink(request: FinalizeRequest): LinkValues | null {
  if (request.linkSlot === undefined && request.linkAuthKey === undefined) return null;
  if (request.linkSlot === undefined || request.linkAuthKey === undefined) {
    throw new AppError('validation_failed', { detail: 'A link needs both linkSlot and linkAuthKey.' });
  }
  const slot = strictBase64Url(request.linkSlot.wrapped, 'linkSlot.wrapped');
  if (slot.length !== LINK_SLOT_SIZE) {
    throw new AppError('validation_failed', { detail: `linkSlot.wrapped must be ${LINK_SLOT_SIZE} bytes (got ${slot.length}).` });
  }
  const authKey = strictBase64Url(request.linkAuthKey, 'linkAuthKey');
  if (authKey.length !== 32) throw new AppError('validation_failed', { detail: 'linkAuthKey must be 32 bytes.' });
  return { slotId: request.linkSlot.slotId, slot, authKey };
}

/** A 22-character id that decodes to 16 bytes and encodes back to itself (ids are bound into the slot's HPKE info). */
function isCanonicalId(text: string): boolean {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length === 16 && bytes.toString('base64url') === text;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

/** Decodes base64url, refusing non-canonical text (trailing bits set), so one value has one encoding. */
function strictBase64Url(text: string, field: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new AppError('validation_failed', { detail: `${field} is not canonical base64url.` });
  return bytes;
}

/** SQLite and PostgreSQL report a unique-constraint violation differently. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
