// Team rules (docs/format.md §13.5): create a team from keys made on its first member's client, list and show a
// member's teams, serve a certified team's current key to senders, add a member, remove one with the whole re-keying
// (team epoch, a copy per remaining member, a box epoch per owned box) in one transaction, and certification by an
// administrator. The server checks records, signatures, epochs and who may act; it never opens a sealed copy.
import {
  type BoxKeyRecord, type TeamKeyRecord, type TeamRecord, SIGNATURE_SIZE, checkCertifiedTeam, fromBase64Url, isCryptoError, orgPublicKeyFromText,
  parseBoxKeyRecord, parseTeamKeyRecord, parseTeamRecord, teamFingerprint, toBase64Url, verifyBoxKey, verifyTeamKey,
} from '@valise/crypto';
import {
  TEAM_LIMITS, type AddTeamMemberRequest, type AdminTeam, type AdminTeamList, type CertifyTeamRequest, type CreateTeamRequest,
  type PublicTeamKey, type RemoveTeamMemberRequest, type SignedTeamKey, type TeamDetail, type TeamList, type TeamRekeyed,
} from '@valise/protocol';
import { AUDIT_LOCK, type AuditRepository } from '../audit/audit.repository.js';
import { hasUnsafeCharacters, strictBase64Url } from '../boxes/box-rules.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { MemberKeyService } from '../members/member-keys.service.js';
import type { TeamDirectory } from './team-directory.js';
import type { TeamNotices } from './team-mail.js';
import type { BoxEpoch, NewTeamMember, TeamRepository, TeamRow } from './teams.repository.js';

export interface TeamServiceDeps {
  readonly handle: DatabaseHandle;
  readonly clock: Clock;
  readonly audit: AuditRepository;
  readonly directory: TeamDirectory;
  readonly memberKeys: Pick<MemberKeyService, 'certifiedById'>;
  /** VALISE_ORG_PUBLIC_KEY, or null. */
  readonly orgPublicKey: string | null;
  readonly notices?: TeamNotices;
}

/** The signed-in member. */
export interface TeamCaller {
  readonly id: string;
  readonly email: string;
}

/** The smallest sealed copy: an HPKE enc (X25519), the AEAD tag, and at least a byte of bundle. */
const MIN_SEALED_BYTES = 32 + 16 + 1;

export class TeamService {
  readonly #d: TeamServiceDeps;
  readonly #teams: TeamRepository;
  readonly #orgKey: Uint8Array | null;

  constructor(deps: TeamServiceDeps) {
    this.#d = deps;
    this.#teams = deps.directory.repository;
    this.#orgKey = deps.orgPublicKey === null ? null : orgPublicKeyFromText(deps.orgPublicKey);
  }

  /**
   * POST /teams. The record must be a canonical team record with a one-line name no other team has (whatever the
   * case); the key the epoch-1 record of this team, signed by the record's signing key; the creator's copy sealed by
   * their client to their certified key (which must exist: the copy names it). The creator is the first member.
   */
  async create(caller: TeamCaller, request: CreateTeamRequest): Promise<TeamDetail> {
    const record = checkTeamRecord(request.record);
    const fingerprint = await teamFingerprint(record);
    const key = await checkTeamKey(record, fingerprint, request.key, 1);
    const bundle = sealedCopy(request.bundle, 'bundle');
    const mine = await this.#certifiedFingerprint(caller.id);
    const nameKey = nameKeyOf(record.name);
    const now = this.#d.clock.now();
    await withWriteTransaction(this.#d.handle, async (trx) => {
      if (await this.#teams.findByNameKey(nameKey, trx)) throw new AppError('team_name_taken', { detail: `A team named "${record.name}" exists already.` });
      if (await this.#teams.find(record.teamId, trx)) throw new AppError('conflict', { detail: 'A team with this id exists already: make a new team.' });
      await this.#teams.insert(trx, {
        id: record.teamId, name: record.name, nameKey, record: request.record, fingerprint, createdBy: caller.id, createdAt: now,
        key: { epoch: 1, record: request.key.record, signature: key.signature, fingerprint: key.fingerprint, kem: key.record.kem },
        creator: { userId: caller.id, epoch: 1, fingerprint: mine, bundle },
      });
      await this.#d.audit.appendWithin(trx, [{
        actor: caller.id, action: 'team.created', target: record.teamId,
        detail: { name: record.name, fingerprint: hex(fingerprint), sig: record.sig, kem: key.record.kem },
      }]);
    }, { lock: AUDIT_LOCK });
    return this.detail(caller, record.teamId);
  }

  /** GET /teams: the caller's teams, by name. */
  async list(caller: TeamCaller): Promise<TeamList> {
    const rows = await this.#teams.listOf(caller.id);
    const counts = await this.#teams.memberCounts(rows.map((t) => t.id));
    return {
      teams: await Promise.all(rows.map(async (t) => ({
        teamId: t.id, name: t.name, record: t.record, certificate: await this.#certificateOf(t), currentEpoch: t.current_epoch,
        memberCount: counts.get(t.id) ?? 0, createdAt: Number(t.created_at),
      }))),
    };
  }

  /** GET /teams/:teamId: members only (anyone else, a removed member included, gets the 404 of an unknown team). */
  async detail(caller: TeamCaller, teamId: string): Promise<TeamDetail> {
    const team = await this.#mine(caller, teamId);
    const [keys, members, boxes, mine] = [
      await this.#teams.keys(teamId), await this.#teams.members(teamId), await this.#teams.boxes(teamId), await this.#teams.member(teamId, caller.id),
    ];
    if (!mine) throw new AppError('not_found');
    return {
      teamId, name: team.name, record: team.record, certificate: await this.#certificateOf(team), createdAt: Number(team.created_at),
      currentEpoch: team.current_epoch,
      keys: keys.map((k) => ({ record: k.record, signature: toBase64Url(k.signature) })),
      members: members.map((m) => ({ memberId: m.user_id, email: m.email, epoch: m.epoch, addedAt: Number(m.added_at) })),
      boxes: boxes.map((b) => ({ boxId: b.id, name: b.name, currentEpoch: b.epoch })),
      mine: { epoch: mine.epoch, fingerprint: toBase64Url(mine.fingerprint), bundle: toBase64Url(mine.bundle) },
    };
  }

  /**
   * GET /teams/key?name= and /teams/:teamId/key: a certified team's record, certificate and current key, for any
   * member to seal a team slot to. Unknown and not (or no longer) certified answer the same team_unavailable.
   */
  async key(by: { readonly teamId: string } | { readonly name: string }): Promise<PublicTeamKey> {
    const row = 'teamId' in by ? await this.#teams.find(by.teamId) : await this.#teams.findByNameKey(nameKeyOf(by.name.trim()));
    const sealable = row ? await this.#d.directory.sealable(row.id) : 'no such team';
    if (typeof sealable === 'string') throw new AppError('team_unavailable', { reason: sealable });
    const { team, key } = sealable;
    return {
      teamId: team.id, name: team.name, record: team.record, certificate: toBase64Url(team.certificate!), epoch: key.epoch,
      key: { record: key.record, signature: toBase64Url(key.signature) },
    };
  }

  /**
   * POST /teams/:teamId/members: a member adds someone with a certified key, giving the team keys sealed to them at
   * the current epoch (team_key_changed if the team moved on since the caller read it).
   */
  async addMember(caller: TeamCaller, teamId: string, request: AddTeamMemberRequest): Promise<TeamDetail> {
    const team = await this.#mine(caller, teamId);
    const bundle = sealedCopy(request.copy.bundle, 'copy.bundle');
    const fingerprint = await this.#certifiedFingerprint(request.memberId);
    const now = this.#d.clock.now();
    let email = '';
    await withWriteTransaction(this.#d.handle, async (trx) => {
      const current = await this.#teams.find(teamId, trx);
      if (!current || !(await this.#d.directory.isMember(teamId, caller.id, trx))) throw new AppError('not_found');
      if (request.copy.epoch !== current.current_epoch) {
        throw new AppError('team_key_changed', { detail: `The copy holds the keys up to epoch ${request.copy.epoch}; the team is at epoch ${current.current_epoch}.` });
      }
      if (await this.#teams.member(teamId, request.memberId, trx)) throw new AppError('conflict', { detail: 'This member belongs to the team already.' });
      if ((await this.#teams.memberCount(teamId, trx)) >= TEAM_LIMITS.maxMembers) {
        throw new AppError('conflict', { detail: `A team has at most ${TEAM_LIMITS.maxMembers} members.` });
      }
      await this.#teams.insertMember(trx, teamId, { userId: request.memberId, epoch: current.current_epoch, fingerprint, bundle }, caller.id, now);
      email = (await this.#teams.members(teamId, trx)).find((m) => m.user_id === request.memberId)?.email ?? '';
      await this.#d.audit.appendWithin(trx, [{
        actor: caller.id, action: 'team.member_added', target: teamId, detail: { memberId: request.memberId, epoch: current.current_epoch },
      }]);
    }, { lock: AUDIT_LOCK });
    if (email !== '') this.#d.notices?.memberAdded({ to: email, teamName: team.name, addedBy: caller.email });
    return this.detail(caller, teamId);
  }

  /**
   * POST /teams/:teamId/members/:memberId/remove: the re-keying, checked whole before anything is written — the team
   * key of the next epoch signed by the team, one copy for each remaining member (exactly them), a new epoch for each
   * box the team owns (exactly them), signed with the box's signing key — then written in one transaction that
   * refuses if the team, its members or its boxes moved meanwhile. A member may remove themselves; never the last.
   */
  async removeMember(caller: TeamCaller, teamId: string, memberId: string, request: RemoveTeamMemberRequest): Promise<TeamRekeyed> {
    const team = await this.#mine(caller, teamId);
    const members = await this.#teams.members(teamId);
    if (!members.some((m) => m.user_id === memberId)) throw new AppError('not_found', { detail: 'This member does not belong to the team.' });
    const remaining = members.filter((m) => m.user_id !== memberId);
    if (remaining.length === 0) throw new AppError('conflict', { detail: 'A team keeps at least one member: add another before leaving.' });
    const from = team.current_epoch;
    const record = parseTeamRecord(team.record);
    const key = await checkTeamKey(record, new Uint8Array(team.fingerprint), request.key, from + 1);

    const copies = exactlyOnce(request.copies.map((c) => c.memberId), remaining.map((m) => m.user_id), 'member');
    const newCopies: NewTeamMember[] = [];
    for (const copy of request.copies) {
      const previous = remaining.find((m) => m.user_id === copy.memberId)!;
      // A member whose key is no longer certified keeps the fingerprint their last copy was sealed to.
      const certified = await this.#d.memberKeys.certifiedById(copy.memberId);
      newCopies.push({
        userId: copy.memberId, epoch: from + 1, bundle: sealedCopy(copy.bundle, `copies[${copies.indexOf(copy.memberId)}].bundle`),
        fingerprint: typeof certified === 'string' ? new Uint8Array(previous.fingerprint) : certified.fingerprint,
      });
    }
    const boxes = await this.#teams.boxes(teamId);
    exactlyOnce(request.boxes.map((b) => b.boxId), boxes.map((b) => b.id), 'box');
    const epochs: BoxEpoch[] = [];
    for (const rekey of request.boxes) {
      const box = boxes.find((b) => b.id === rekey.boxId)!;
      const checked = await checkBoxEpoch(box, rekey.key, box.epoch + 1);
      const sealed = sealedCopy(rekey.sealed, `boxes (${box.id}).sealed`);
      epochs.push({ boxId: box.id, epoch: checked.epoch, record: rekey.key.record, signature: checked.signature, sealed });
    }

    const now = this.#d.clock.now();
    await withWriteTransaction(this.#d.handle, async (trx) => {
      if (!(await this.#d.directory.isMember(teamId, caller.id, trx))) throw new AppError('not_found');
      if (!(await this.#teams.bumpEpoch(trx, teamId, from))) {
        throw new AppError('team_key_changed', { detail: 'The team was re-keyed meanwhile: fetch it again and start over.' });
      }
      const now2 = await this.#teams.members(teamId, trx);
      if (!sameSet(now2.map((m) => m.user_id), members.map((m) => m.user_id))) {
        throw new AppError('team_rekey_incomplete', { detail: 'The team\'s members changed meanwhile: fetch the team again and start over.' });
      }
      const boxesNow = await this.#teams.boxes(teamId, trx);
      if (!sameSet(boxesNow.map((b) => `${b.id}:${b.epoch}`), boxes.map((b) => `${b.id}:${b.epoch}`))) {
        throw new AppError('team_rekey_incomplete', { detail: 'The team\'s drop boxes changed meanwhile: fetch the team again and start over.' });
      }
      await this.#teams.insertKey(trx, teamId, { epoch: from + 1, record: request.key.record, signature: key.signature, fingerprint: key.fingerprint, kem: key.record.kem }, caller.id, now);
      for (const copy of newCopies) await this.#teams.replaceBundle(trx, teamId, copy);
      await this.#teams.deleteMember(trx, teamId, memberId);
      for (const epoch of epochs) await this.#teams.addBoxEpoch(trx, teamId, from + 1, key.fingerprint, epoch, now);
      await this.#d.audit.appendWithin(trx, [{
        actor: caller.id, action: 'team.member_removed', target: teamId,
        detail: { memberId, left: memberId === caller.id, epoch: from + 1, members: newCopies.length, boxes: epochs.map((e) => ({ boxId: e.boxId, epoch: e.epoch })) },
      }]);
    }, { lock: AUDIT_LOCK });
    return { teamId, currentEpoch: from + 1 };
  }

  /** GET /admin/teams: teams by certification under the organisation key configured now (default: pending). */
  async listForAdmin(status: 'pending' | 'certified' | 'all'): Promise<AdminTeamList> {
    const teams: AdminTeam[] = [];
    for (const row of await this.#teams.list()) {
      const certified = (await this.#d.directory.certified(row)) !== null;
      if (status === 'pending' && certified) continue;
      if (status === 'certified' && !certified) continue;
      teams.push(await this.#adminView(row, certified));
    }
    return { teams };
  }

  /** POST /admin/teams/:teamId/certificate: the organisation's signature over the record the administrator checked. */
  async certify(admin: TeamCaller, teamId: string, body: CertifyTeamRequest): Promise<AdminTeam> {
    if (this.#orgKey === null) throw new AppError('org_key_not_configured', { detail: 'Set VALISE_ORG_PUBLIC_KEY before certifying teams.' });
    const fingerprint = exactBytes(body.fingerprint, 32, 'fingerprint');
    const certificate = exactBytes(body.certificate, SIGNATURE_SIZE, 'certificate');
    const team = await this.#teams.find(teamId);
    if (!team) throw new AppError('not_found');
    if (!Buffer.from(team.fingerprint).equals(fingerprint)) throw new AppError('conflict', { detail: 'The team record is not the one you checked: look at it again.' });
    try {
      await checkCertifiedTeam(this.#orgKey, parseTeamRecord(team.record), certificate, teamId);
    } catch (error) {
      if (isCryptoError(error)) throw new AppError('certificate_invalid', { detail: 'The certificate is not the configured organisation key\'s signature over this team.' });
      throw error;
    }
    const now = this.#d.clock.now();
    await withWriteTransaction(this.#d.handle, async (trx) => {
      if (!(await this.#teams.certify(trx, teamId, fingerprint, certificate, admin.id, now))) throw new AppError('conflict');
      await this.#d.audit.appendWithin(trx, [{
        actor: admin.id, action: 'team.certified', target: teamId,
        detail: { fingerprint: hex(fingerprint), orgPublicKey: toBase64Url(this.#orgKey!), recertified: team.certificate !== null },
      }]);
    }, { lock: AUDIT_LOCK });
    return this.#adminView((await this.#teams.find(teamId))!, true);
  }

  /** The team if the caller belongs to it; the 404 of an unknown team otherwise. */
  async #mine(caller: TeamCaller, teamId: string): Promise<TeamRow> {
    const team = await this.#d.directory.teamOf(teamId, caller.id);
    if (!team) throw new AppError('not_found');
    return team;
  }

  async #certifiedFingerprint(memberId: string): Promise<Uint8Array> {
    const key = await this.#d.memberKeys.certifiedById(memberId);
    if (typeof key === 'string') {
      throw new AppError('member_key_unavailable', { detail: 'The team keys are sealed to a member\'s certified key: this member has none.', reason: key });
    }
    return key.fingerprint;
  }

  async #certificateOf(team: TeamRow): Promise<string | null> {
    return (await this.#d.directory.certified(team)) === null ? null : toBase64Url(team.certificate!);
  }

  async #adminView(row: TeamRow, certified: boolean): Promise<AdminTeam> {
    const creator = row.created_by === null ? undefined
      : await this.#d.handle.db.selectFrom('users').select('email').where('id', '=', row.created_by).executeTakeFirst();
    return {
      teamId: row.id, name: row.name, record: row.record, fingerprint: toBase64Url(row.fingerprint), createdAt: Number(row.created_at),
      createdBy: creator?.email ?? null, certifiedAt: certified ? row.certified_at : null,
    };
  }
}

// ── checks ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** lower(NFC(name)): the key names are unique by. */
export function nameKeyOf(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

function checkTeamRecord(text: string): TeamRecord {
  let record: TeamRecord;
  try {
    record = parseTeamRecord(text);
  } catch (error) {
    // CryptoError messages name the field and the rule, never a value.
    if (isCryptoError(error)) throw new AppError('team_record_invalid', { detail: `The team record is not valid: ${error.message}.` });
    throw error;
  }
  // The name is shown in lists and mails: one plain line.
  if (hasUnsafeCharacters(record.name)) throw new AppError('team_record_invalid', { detail: 'The team\'s name must be one line, without control characters.' });
  return record;
}

/**
 * A team key record of `epoch` for this team, signed by the team's signing key. An older (or the same) epoch means
 * the client worked from a stale view: team_key_changed; anything else wrong is team_key_invalid.
 */
async function checkTeamKey(team: TeamRecord, fingerprint: Uint8Array, signed: SignedTeamKey, epoch: number): Promise<{ record: TeamKeyRecord; signature: Uint8Array; fingerprint: Uint8Array }> {
  const invalid = (detail: string, cause?: unknown) => new AppError('team_key_invalid', { detail, ...(cause === undefined ? {} : { reason: String((cause as Error).message ?? cause) }) });
  const signature = strictBase64Url(signed.signature, 'key.signature');
  if (signature.length !== SIGNATURE_SIZE) throw invalid(`key.signature must be ${SIGNATURE_SIZE} bytes.`);
  let record: TeamKeyRecord;
  try {
    record = parseTeamKeyRecord(signed.record);
  } catch (error) {
    if (isCryptoError(error)) throw invalid(`key.record is not a canonical team key record: ${error.message}.`);
    throw error;
  }
  if (record.teamId !== team.teamId) throw invalid('The team key record names another team.');
  if (record.epoch < epoch) throw new AppError('team_key_changed', { detail: `The team is past epoch ${record.epoch}: fetch it again and start over.` });
  if (record.epoch !== epoch) throw invalid(`The team key must be of epoch ${epoch} (the record says ${record.epoch}).`);
  if (!(await importable(record.kem, record.kemPublicKey))) throw invalid('The team key is not a valid public key.');
  try {
    const verified = await verifyTeamKey({ record: team, fingerprint: new Uint8Array(fingerprint) }, record, new Uint8Array(signature));
    return { record, signature: new Uint8Array(signature), fingerprint: verified.fingerprint };
  } catch (error) {
    if (isCryptoError(error)) throw invalid('The team key record is not signed by the team signing key.', error);
    throw error;
  }
}

/** A box's new epoch: its record (same box, same name, epoch `epoch`) signed by the box signing key. */
async function checkBoxEpoch(
  box: { id: string; name: string; sig: 'Ed25519' | 'ECDSA-P256'; sig_public_key: Uint8Array; epoch: number },
  signed: { record: string; signature: string },
  epoch: number,
): Promise<{ epoch: number; signature: Uint8Array }> {
  const invalid = (detail: string) => new AppError('box_key_invalid', { detail: `Drop box ${box.id}: ${detail}` });
  const signature = strictBase64Url(signed.signature, 'boxes.key.signature');
  if (signature.length !== SIGNATURE_SIZE) throw invalid(`the signature must be ${SIGNATURE_SIZE} bytes.`);
  let record: BoxKeyRecord;
  try {
    record = parseBoxKeyRecord(signed.record);
  } catch (error) {
    if (isCryptoError(error)) throw invalid('the record is not a canonical box key record (docs/format.md §13.2).');
    throw error;
  }
  if (record.boxId !== box.id) throw invalid('the record names another box.');
  if (record.epoch < epoch) throw new AppError('box_key_changed', { detail: `Drop box ${box.id} is past epoch ${record.epoch}: fetch the team again.` });
  if (record.epoch !== epoch) throw invalid(`the new epoch must be ${epoch} (the record says ${record.epoch}).`);
  if (record.name !== box.name) throw invalid('the record renames the box.');
  if (!(await importable(record.kem, record.kemPublicKey))) throw invalid('the box key is not a valid public key.');
  try {
    await verifyBoxKey({ sig: box.sig, publicKey: new Uint8Array(box.sig_public_key) }, box.id, record, new Uint8Array(signature));
  } catch (error) {
    if (isCryptoError(error)) throw invalid('the record is not signed by the box signing key.');
    throw error;
  }
  return { epoch, signature: new Uint8Array(signature) };
}

/**
 * `given` names each of `expected` exactly once, and nothing else: the re-keying covers everyone (a member left out
 * could not read what comes next) and no one more (a copy for the removed member would undo the removal).
 */
function exactlyOnce(given: readonly string[], expected: readonly string[], what: 'member' | 'box'): string[] {
  const want = new Set(expected);
  const seen = new Set<string>();
  for (const id of given) {
    if (seen.has(id)) throw new AppError('team_rekey_incomplete', { detail: `The ${what} ${id} is given twice.` });
    if (!want.has(id)) {
      throw new AppError('team_rekey_incomplete', {
        detail: what === 'member' ? `${id} is not a remaining member of the team: no copy for them.` : `The drop box ${id} is not one the team owns.`,
      });
    }
    seen.add(id);
  }
  const missing = expected.filter((id) => !seen.has(id));
  if (missing.length > 0) {
    throw new AppError('team_rekey_incomplete', {
      detail: what === 'member' ? `No copy of the new keys for the remaining members ${missing.join(', ')}.` : `No new epoch for the team's drop boxes ${missing.join(', ')}.`,
    });
  }
  return [...given];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const s = new Set(a);
  return a.length === b.length && s.size === new Set(b).size && b.every((x) => s.has(x));
}

/** A sealed copy of keys (HPKE): canonical base64url, within the stored bounds. */
function sealedCopy(text: string, field: string): Uint8Array {
  const bytes = strictBase64Url(text, field);
  if (bytes.length < MIN_SEALED_BYTES || bytes.length > TEAM_LIMITS.bundleBytes) {
    throw new AppError('validation_failed', { detail: `${field} must be ${MIN_SEALED_BYTES} to ${TEAM_LIMITS.bundleBytes} bytes.` });
  }
  return new Uint8Array(bytes);
}

function exactBytes(text: string, length: number, field: string): Uint8Array {
  const bytes = strictBase64Url(text, field);
  if (bytes.length !== length) throw new AppError('validation_failed', { detail: `${field} must be ${length} bytes.` });
  return new Uint8Array(bytes);
}

const IMPORT: Record<string, EcKeyImportParams | AlgorithmIdentifier> = { X25519: { name: 'X25519' }, 'P-256': { name: 'ECDH', namedCurve: 'P-256' } };

/** §11.2: readers import public keys (this catches P-256 points off the curve). */
async function importable(kem: string, publicKey: string): Promise<boolean> {
  const params = IMPORT[kem];
  if (!params) return false;
  try {
    await globalThis.crypto.subtle.importKey('raw', fromBase64Url(publicKey) as Uint8Array<ArrayBuffer>, params, false, []);
    return true;
  } catch {
    return false;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

