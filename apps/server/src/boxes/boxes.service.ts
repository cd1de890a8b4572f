// The owner's side of drop boxes (docs/format.md §13): create one from keys made on the member's client (the server
// checks the signed record and that the keys are sealed to the member's certified key), list them, serve an owner's
// sealed keys, close one. And the public view a depositor's client starts from.
import { SIG_PUBLIC_KEY_SIZE, SIGNATURE_SIZE, type BoxKeyRecord, isCryptoError, parseBoxKeyRecord, verifyBoxKey } from '@valise/crypto';
import type { BoxKeysResponse, BoxList, BoxSummary, CreateBoxRequest, PublicBox } from '@valise/protocol';
import type { AuditRepository } from '../audit/audit.repository.js';
import type { Clock } from '../clock.js';
import type { PolicyLimits } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { MemberKeyService } from '../members/member-keys.service.js';
import type { DataClassService } from '../retention/data-class.service.js';
import type { TeamDirectory } from '../teams/team-directory.js';
import { MIN_EXPIRY_MS, bytesInWords, durationInWords } from '../transfers/transfer.policy.js';
import { TEAM_LIMITS } from '@valise/protocol';
import { allowedDomainsOf, boxSummary, hasUnsafeCharacters, requireOpenBox, strictBase64Url } from './box-rules.js';
import { BoxRepository, type BoxRow } from './boxes.repository.js';

export interface BoxServiceDeps {
  readonly handle: DatabaseHandle;
  readonly clock: Clock;
  readonly audit: AuditRepository;
  readonly limits: PolicyLimits;
  readonly dataClasses: DataClassService;
  /** Without a trailing slash. */
  readonly publicUrl: string;
  readonly memberKeys: Pick<MemberKeyService, 'certifiedById'>;
  /** Boxes owned by a team (docs/format.md §13.5); without it, ownerTeamId is refused. */
  readonly teams?: TeamDirectory;
}

/** The signed-in member. */
export interface BoxMember {
  readonly id: string;
  readonly email: string;
}

export class BoxService {
  readonly #deps: BoxServiceDeps;
  readonly #boxes: BoxRepository;

  constructor(deps: BoxServiceDeps) {
    this.#deps = deps;
    this.#boxes = new BoxRepository(deps.handle);
  }

  /**
   * POST /boxes. The record must be the epoch-1 record of this box, signed by the identity (the key its link will
   * carry); the owner's sealed copy must name the member's current certified key; the policy must fit the data
   * class and the server's limits. The server cannot check what is sealed: the member's client made it.
   */
  async create(member: BoxMember, request: CreateBoxRequest): Promise<BoxSummary> {
    const { handle, clock, audit, limits, dataClasses } = this.#deps;
    const { record, signature, sigPublicKey } = await checkSignedRecord(request);
    const ownerFingerprint = strictBase64Url(request.ownerKeys.fingerprint, 'ownerKeys.fingerprint');
    const ownerSealed = strictBase64Url(request.ownerKeys.sealed, 'ownerKeys.sealed');
    if (ownerSealed.length === 0) throw new AppError('validation_failed', { detail: 'ownerKeys.sealed is empty.' });
    const ownerTeam = request.ownerTeamId === undefined ? undefined : await this.#teamOwner(member, request.ownerTeamId, ownerFingerprint);
    const mine = ownerTeam ? { fingerprint: ownerFingerprint } : await this.#deps.memberKeys.certifiedById(member.id);
    if (typeof mine === 'string') {
      throw new AppError('member_key_unavailable', {
        detail: 'Your key is not certified yet: a drop box\'s keys are sealed to your certified key.', reason: `member ${member.id}: ${mine}`,
      });
    }
    if (!Buffer.from(mine.fingerprint).equals(ownerFingerprint)) {
      throw new AppError('member_key_changed', { detail: 'The box keys are not sealed to your current certified key: fetch your keys again.' });
    }

    const dataClass = await dataClasses.resolve(request.dataClass);
    const lifetimeMs = request.expiresInSeconds * 1000;
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < MIN_EXPIRY_MS || lifetimeMs > dataClass.maxExpiryMs) {
      throw new AppError('expiry_out_of_range', {
        detail: `In the data class "${dataClass.name}", a drop box lives between ${durationInWords(MIN_EXPIRY_MS)} and ${durationInWords(dataClass.maxExpiryMs)} (asked: ${durationInWords(lifetimeMs)}).`,
      });
    }
    // A deposit is one transfer: it cannot be larger than the largest file the server accepts.
    if (request.maxDepositBytes > limits.maxFileSize) {
      throw new AppError('validation_failed', { detail: `maxDepositBytes: at most ${bytesInWords(limits.maxFileSize)} (VALISE_MAX_FILE_SIZE).` });
    }
    const allowedDomains = [...new Set(request.allowedDomains)];
    const now = clock.now();
    try {
      await withWriteTransaction(handle, (trx) => this.#boxes.insert(trx, {
        id: request.boxId, ownerId: member.id, name: record.name, sig: request.identity.sig, sigPublicKey,
        createdAt: now, expiresAt: now + lifetimeMs, maxDeposits: request.maxDeposits, maxDepositBytes: request.maxDepositBytes,
        allowedDomains, dataClass: dataClass.name, record: request.key.record, signature, ownerFingerprint, ownerSealed,
        ...(ownerTeam ? { ownerTeam } : {}),
      }));
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('conflict', { detail: 'A drop box with this id exists already: make a new box.' });
      throw error;
    }
    await audit.append({
      actor: member.id, action: 'box.created', target: request.boxId,
      detail: {
        dataClass: dataClass.name, expiresAt: now + lifetimeMs, maxDeposits: request.maxDeposits, maxDepositBytes: request.maxDepositBytes,
        allowedDomains, sig: request.identity.sig, kem: record.kem, ...(ownerTeam ? { ownerTeam } : {}),
      },
    });
    return this.#summary(await this.#boxes.find(request.boxId) as BoxRow);
  }

  /** GET /boxes: the boxes the member owns, newest first (not those whose keys were purged). */
  async list(member: BoxMember): Promise<BoxList> {
    return { boxes: await Promise.all((await this.#boxes.listOwned(member.id)).map((b) => this.#summary(b))) };
  }

  /** GET /boxes/:boxId/keys: every signed epoch and this owner's sealed copy of the private keys. */
  async keys(member: BoxMember, boxId: string): Promise<BoxKeysResponse> {
    const box = await this.#owned(member, boxId);
    const teamId = box.owner_team_id;
    const [keys, mine] = [await this.#boxes.keys(boxId), teamId === null ? await this.#boxes.ownerKey(boxId, member.id) : await this.#boxes.teamOwnerKey(boxId, teamId)];
    if (keys.length === 0 || !mine) throw new AppError('not_found');
    const ownerKeys = { fingerprint: Buffer.from(mine.fingerprint).toString('base64url'), sealed: Buffer.from(mine.sealed).toString('base64url') };
    return {
      boxId,
      identity: { sig: box.sig, publicKey: Buffer.from(box.sig_public_key).toString('base64url') },
      keys: keys.map((k) => ({ record: k.record, signature: Buffer.from(k.signature).toString('base64url') })),
      ownerKeys,
      ownerTeam: teamId === null ? null : { teamId, epoch: mine.team_epoch!, ...ownerKeys },
    };
  }

  /**
   * POST /boxes/:boxId/close: no deposit is accepted any more, and unfinished uploads are abandoned (the purge deletes
   * their parts); finished deposits live on under their data class. Closing twice is not an error.
   */
  async close(member: BoxMember, boxId: string): Promise<BoxSummary> {
    const { handle, clock, audit } = this.#deps;
    await this.#owned(member, boxId);
    const now = clock.now();
    const changed = await withWriteTransaction(handle, async (trx) => {
      if (!(await this.#boxes.close(trx, boxId, now))) return null;
      return { abandonedUploads: await this.#boxes.abandonUploads(trx, boxId, now) };
    });
    if (changed) await audit.append({ actor: member.id, action: 'box.closed', target: boxId, detail: changed });
    return this.#summary(await this.#boxes.find(boxId) as BoxRow);
  }

  /** GET /boxes/:boxId/public: what a depositor's client needs (it verifies the key against the link itself). */
  async publicView(boxId: string): Promise<PublicBox> {
    const box = requireOpenBox(boxId, await this.#boxes.find(boxId), this.#deps.clock.now(), { needsRoom: true });
    const key = await this.#boxes.currentKey(boxId);
    if (!key) throw new Error(`box ${boxId} has no key`);
    return {
      boxId,
      key: { record: key.record, signature: Buffer.from(key.signature).toString('base64url') },
      expiresAt: Number(box.expires_at),
      maxDepositBytes: Number(box.max_deposit_bytes),
      maxFiles: this.#deps.limits.maxFiles,
      allowedDomains: allowedDomainsOf(box),
    };
  }

  /** Another member's box answers exactly like one that does not exist. */
  async #owned(member: BoxMember, boxId: string): Promise<BoxRow> {
    const box = await this.#boxes.findOwned(boxId, member.id);
    if (!box) throw new AppError('not_found');
    return box;
  }

  async #summary(box: BoxRow): Promise<BoxSummary> {
    const team = box.owner_team_id === null ? undefined : await this.#deps.teams?.repository.find(box.owner_team_id);
    return boxSummary(box, this.#deps.publicUrl, team ? { teamId: team.id, name: team.name } : null);
  }

  /**
   * A box the caller makes for a team: they belong to it (anyone else: the team_unavailable of an unknown team), it is
   * certified, and the keys are sealed to its current key (team_key_changed for another fingerprint).
   */
  async #teamOwner(member: BoxMember, teamId: string, fingerprint: Uint8Array): Promise<{ teamId: string; epoch: number }> {
    const teams = this.#deps.teams;
    if (!teams || !(await teams.isMember(teamId, member.id))) throw new AppError('team_unavailable', { reason: `member ${member.id} is not in team ${teamId}` });
    const sealable = await teams.sealable(teamId);
    if (typeof sealable === 'string') throw new AppError('team_unavailable', { detail: 'The team is not certified yet: its key cannot own a drop box.', reason: sealable });
    if (!Buffer.from(sealable.key.fingerprint).equals(fingerprint)) {
      throw new AppError('team_key_changed', { detail: 'The box keys are not sealed to the team\'s current key: fetch the team again.' });
    }
    if ((await this.#boxes.countTeamBoxes(teamId)) >= TEAM_LIMITS.maxBoxes) {
      throw new AppError('conflict', { detail: `A team owns at most ${TEAM_LIMITS.maxBoxes} drop boxes: close and let some expire first.` });
    }
    return { teamId, epoch: sealable.key.epoch };
  }
}

/**
 * The epoch-1 record of this box, parsed as canonical JSON, signed by the identity (the box signing key). Every
 * failure is box_key_invalid: a client that built the box right never sees one.
 */
async function checkSignedRecord(request: CreateBoxRequest): Promise<{ record: BoxKeyRecord; signature: Buffer; sigPublicKey: Buffer }> {
  const invalid = (detail: string, cause?: unknown) => new AppError('box_key_invalid', { detail, ...(cause === undefined ? {} : { reason: String((cause as Error).message ?? cause) }) });
  const sigPublicKey = strictBase64Url(request.identity.publicKey, 'identity.publicKey');
  if (sigPublicKey.length !== SIG_PUBLIC_KEY_SIZE[request.identity.sig]) {
    throw invalid(`identity.publicKey must be ${SIG_PUBLIC_KEY_SIZE[request.identity.sig]} bytes for ${request.identity.sig}.`);
  }
  const signature = strictBase64Url(request.key.signature, 'key.signature');
  if (signature.length !== SIGNATURE_SIZE) throw invalid(`key.signature must be ${SIGNATURE_SIZE} bytes.`);
  let record: BoxKeyRecord;
  try {
    record = parseBoxKeyRecord(request.key.record);
  } catch (error) {
    if (isCryptoError(error)) throw invalid('key.record is not a canonical box key record (docs/format.md §13.2).', error);
    throw error;
  }
  if (record.boxId !== request.boxId) throw invalid('The box key record names another box.');
  if (record.epoch !== 1) throw invalid(`A new box starts at epoch 1 (the record says ${record.epoch}).`);
  // The name is shown in mails and pages: one plain line (the format allows more than the server shows).
  if (hasUnsafeCharacters(record.name)) throw invalid('The box\'s name must be one line, without control characters.');
  try {
    await verifyBoxKey({ sig: request.identity.sig, publicKey: new Uint8Array(sigPublicKey) }, request.boxId, record, new Uint8Array(signature));
  } catch (error) {
    if (isCryptoError(error)) throw invalid('The box key record is not signed by the box signing key (identity).', error);
    throw error;
  }
  return { record, signature, sigPublicKey };
}

/** SQLite and PostgreSQL report a unique-constraint violation differently. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
