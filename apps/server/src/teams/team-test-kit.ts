// Test helpers for team mailboxes (docs/format.md §13.5): a member's client that makes a team with @valise/crypto
// (createTeam, the bundle sealed to its certified key), opens the team keys it fetched back, seals them to a newcomer,
// builds the whole re-keying of a removal (team epoch, copies, box epochs); a sender's client that seals a team slot
// to the certified team key it fetched and checked; and a member opening what reached the team.
import { randomBytes } from 'node:crypto';
import {
  type BoxIdentity, type CertifiedTeam, type ClientKey, type NewTeam, type TeamKeys, type VerifiedTeamKey,
  addBoxEpoch, addTeamEpoch, certifyTeam, checkCertifiedTeam, createDropBox, createTeam, fromUtf8, newSecret, openBoxKeys, openBoxSlot, openTeamKeys,
  openTeamSlot, parseBoxKeyRecord, parseTeamKeyRecord, parseTeamRecord, sealBoxKeysForOwner, sealTeamKeysForMember, sealTeamSlot,
  serializeBoxKeyRecord, serializeTeamKeyRecord, serializeTeamRecord, teamFingerprint, toBase64Url, verifyTeamKey,
} from '@valise/crypto';
import type { AddTeamMemberRequest, CreateBoxRequest, CreateTeamRequest, FinalizeRequest, RemoveTeamMemberRequest } from '@valise/protocol';
import { newId } from '../accounts/tokens.js';
import { type BoxKit, type MadeBox, sid, tid } from '../boxes/box-test-kit.js';
import type { KeyedMember, MemberKit } from '../inbox/member-test-kit.js';
import type { Harness, Member, Reply } from '../transfers/transfer-test-kit.js';

/** A team as its first member's client made it, and the request it sent. */
export interface MadeTeam {
  readonly team: NewTeam;
  readonly teamId: string;
  readonly body: CreateTeamRequest;
}

/** What a sender's client kept of a transfer sent to teams. */
export interface TeamSend {
  readonly transferId: string;
  readonly clientKey: ClientKey;
  readonly body: FinalizeRequest;
}

export class TeamKit {
  readonly h: Harness;
  readonly members: MemberKit;
  readonly boxes: BoxKit;

  constructor(members: MemberKit, boxes: BoxKit) {
    this.h = members.h;
    this.members = members;
    this.boxes = boxes;
  }

  /** The creator's client: the team made locally, its bundle sealed to the creator's certified key as served. */
  async make(creator: KeyedMember, name = `Virology lab ${randomBytes(3).toString('hex')}`): Promise<MadeTeam> {
    const team = await createTeam(name, { now: new Date(this.h.clock.now()) });
    const key = await this.members.certifiedKey(creator, creator.email);
    const sealed = await sealTeamKeysForMember(key, team.record.teamId, team.bundle);
    const body: CreateTeamRequest = {
      record: fromUtf8(serializeTeamRecord(team.record)),
      key: { record: fromUtf8(serializeTeamKeyRecord(team.key.record)), signature: toBase64Url(team.key.signature) },
      bundle: toBase64Url(sealed),
    };
    return { team, teamId: team.record.teamId, body };
  }

  createRequest(creator: Member, body: unknown): Promise<Reply> {
    return this.h.request('POST', '/teams', { token: creator.token, body });
  }

  /** make → POST /teams (201) → certified by an administrator over the route, unless told otherwise. */
  async create(creator: KeyedMember, admin: Member | null, name?: string): Promise<MadeTeam> {
    const made = await this.make(creator, name);
    const reply = await this.createRequest(creator, made.body);
    if (reply.status !== 201) throw new Error(`create team: ${reply.status} ${JSON.stringify(reply.body)}`);
    if (admin) {
      const certified = await this.certify(admin, made);
      if (certified.status !== 200) throw new Error(`certify team: ${certified.status} ${JSON.stringify(certified.body)}`);
    }
    return made;
  }

  /** The administrator's tool: signs the record's fingerprint with the organisation key. */
  async certify(admin: Member, made: Pick<MadeTeam, 'team' | 'teamId'>): Promise<Reply> {
    return this.h.request('POST', `/admin/teams/${made.teamId}/certificate`, {
      token: admin.token,
      body: { fingerprint: toBase64Url(await teamFingerprint(made.team.record)), certificate: toBase64Url(await certifyTeam(this.members.org.signingKey, made.team.record)) },
    });
  }

  detail(member: Member, teamId: string): Promise<Reply> {
    return this.h.request('GET', `/teams/${teamId}`, { token: member.token });
  }

  /** A member's client: GET the team, check its certificate, open its own copy against every signed epoch. */
  async keysOf(member: KeyedMember, teamId: string): Promise<TeamKeys> {
    const reply = await this.detail(member, teamId);
    if (reply.status !== 200) throw new Error(`team: ${reply.status} ${JSON.stringify(reply.body)}`);
    const team = await this.#certifiedTeam(reply.body.record, reply.body.certificate, teamId);
    const records = new Map((reply.body.keys as { record: string; signature: string }[]).map((k) => {
      const record = parseTeamKeyRecord(k.record);
      return [record.epoch, { record, signature: Buffer.from(k.signature, 'base64url') }] as const;
    }));
    return openTeamKeys(member.keys, team, Buffer.from(reply.body.mine.bundle, 'base64url'), records);
  }

  /** The adding member's client: the team keys sealed to the newcomer's certified key (as served, checked). */
  async addBody(adder: KeyedMember, teamId: string, newcomer: Member): Promise<AddTeamMemberRequest> {
    const keys = await this.keysOf(adder, teamId);
    const key = await this.members.certifiedKey(adder, newcomer.email);
    const sealed = await sealTeamKeysForMember(key, teamId, keys.bundle);
    return { memberId: newcomer.id, copy: { epoch: keys.current.record.epoch, bundle: toBase64Url(sealed) } };
  }

  addRequest(adder: Member, teamId: string, body: unknown): Promise<Reply> {
    return this.h.request('POST', `/teams/${teamId}/members`, { token: adder.token, body });
  }

  async add(adder: KeyedMember, teamId: string, newcomer: Member): Promise<void> {
    const reply = await this.addRequest(adder, teamId, await this.addBody(adder, teamId, newcomer));
    if (reply.status !== 200) throw new Error(`add member: ${reply.status} ${JSON.stringify(reply.body)}`);
  }

  /**
   * The removing member's client: a new team epoch signed by the team, the extended bundle sealed to every remaining
   * member, and for each box the team owns a new box epoch whose keys are sealed to the new team key.
   */
  async removeBody(remover: KeyedMember, teamId: string, removedId: string): Promise<RemoveTeamMemberRequest> {
    const keys = await this.keysOf(remover, teamId);
    const detail = (await this.detail(remover, teamId)).body;
    const rotated = await addTeamEpoch(keys, { now: new Date(this.h.clock.now()) });
    const copies = [];
    for (const m of detail.members as { memberId: string; email: string }[]) {
      if (m.memberId === removedId) continue;
      const key = await this.members.certifiedKey(remover, m.email);
      copies.push({ memberId: m.memberId, bundle: toBase64Url(await sealTeamKeysForMember(key, teamId, rotated.bundle)) });
    }
    const boxes = [];
    for (const box of detail.boxes as { boxId: string }[]) {
      const boxKeys = await this.boxKeysOf(remover, box.boxId, keys);
      const next = await addBoxEpoch(boxKeys, { now: new Date(this.h.clock.now()) });
      boxes.push({
        boxId: box.boxId,
        key: { record: fromUtf8(serializeBoxKeyRecord(next.record)), signature: toBase64Url(next.signature) },
        sealed: toBase64Url(await sealBoxKeysForOwner(rotated.verified, box.boxId, next.bundle)),
      });
    }
    return { key: { record: fromUtf8(serializeTeamKeyRecord(rotated.key.record)), signature: toBase64Url(rotated.key.signature) }, copies, boxes };
  }

  removeRequest(remover: Member, teamId: string, memberId: string, body: unknown): Promise<Reply> {
    return this.h.request('POST', `/teams/${teamId}/members/${memberId}/remove`, { token: remover.token, body });
  }

  async remove(remover: KeyedMember, teamId: string, memberId: string): Promise<void> {
    const reply = await this.removeRequest(remover, teamId, memberId, await this.removeBody(remover, teamId, memberId));
    if (reply.status !== 200) throw new Error(`remove member: ${reply.status} ${JSON.stringify(reply.body)}`);
  }

  // The sender's client.

  /** GET /teams/:id/key, checked as a sender's client does: certified by the organisation, the key signed by the team. */
  async teamKey(viewer: Member, teamId: string): Promise<VerifiedTeamKey> {
    const reply = await this.h.request('GET', `/teams/${teamId}/key`, { token: viewer.token });
    if (reply.status !== 200) throw new Error(`team key: ${reply.status} ${JSON.stringify(reply.body)}`);
    const team = await this.#certifiedTeam(reply.body.record, reply.body.certificate, teamId);
    return verifyTeamKey(team, parseTeamKeyRecord(reply.body.key.record), Buffer.from(reply.body.key.signature, 'base64url'));
  }

  /** Creates and uploads a transfer to `teams` (and `recipients`), then builds the finalize body: a team slot each. */
  async prepare(sender: KeyedMember, teamIds: readonly string[], options: { recipients?: string[]; maxDownloads?: number; key?: VerifiedTeamKey; dataClass?: string } = {}): Promise<TeamSend & { created: Reply }> {
    const created = await this.h.create(sender, [1000], {
      recipients: options.recipients ?? [], teams: teamIds, ...(options.maxDownloads ? { maxDownloads: options.maxDownloads } : {}),
      ...(options.dataClass ? { dataClass: options.dataClass } : {}),
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
    const transferId = created.body.transferId as string;
    await this.h.uploadFile(sender, created.body, 0, randomBytes(created.body.files[0].ciphertextSize));
    const clientKey = newSecret<'ClientKey'>();
    const teamSlots = [];
    for (const teamId of teamIds) {
      const key = options.key ?? await this.teamKey(sender, teamId);
      const slotId = newId();
      teamSlots.push({ teamId, slotId, epoch: key.record.epoch, wrapped: toBase64Url(await sealTeamSlot(key, tid(transferId), sid(slotId), clientKey)) });
    }
    const manifestPlaintext = new TextEncoder().encode(JSON.stringify({ files: [{ name: 'results.pdf' }] }));
    const body: FinalizeRequest = {
      teamSlots, manifestSignature: await this.members.signature(sender, transferId, manifestPlaintext), manifest: randomBytes(300).toString('base64url'),
    };
    return { transferId, clientKey, body, created };
  }

  finalize(sender: Member, transferId: string, body: unknown): Promise<Reply> {
    return this.h.request('POST', `/transfers/${transferId}/finalize`, { token: sender.token, body });
  }

  async send(sender: KeyedMember, teamIds: readonly string[], options: Parameters<TeamKit['prepare']>[2] = {}): Promise<TeamSend> {
    const prepared = await this.prepare(sender, teamIds, options);
    const reply = await this.finalize(sender, prepared.transferId, prepared.body);
    if (reply.status !== 200) throw new Error(`finalize: ${reply.status} ${JSON.stringify(reply.body)}`);
    return prepared;
  }

  // A member of the team.

  openTeam(member: Member, transferId: string): Promise<Reply> {
    return this.h.request('POST', `/inbox/${transferId}/open-team`, { token: member.token, body: {} });
  }

  /** Opens the released team slot with the member's team keys: CK. */
  async openedTeamKey(member: KeyedMember, transferId: string, opened: Reply): Promise<Buffer> {
    const keys = await this.keysOf(member, opened.body.team.teamId);
    const slot = opened.body.teamSlot;
    return Buffer.from(await openTeamSlot(keys, slot.epoch, tid(transferId), sid(slot.slotId), Buffer.from(slot.wrapped, 'base64url')));
  }

  /** A box for the team, made on a member's client: its keys sealed to the team's current (checked) key. */
  async makeBox(creator: KeyedMember, teamId: string, options: { name?: string; key?: VerifiedTeamKey; dataClass?: string } = {}): Promise<MadeBox> {
    const box = await createDropBox(options.name ?? 'Virology samples', { now: new Date(this.h.clock.now()) });
    const key = options.key ?? await this.teamKey(creator, teamId);
    const sealed = await sealBoxKeysForOwner(key, box.boxId, box.bundle);
    const body: CreateBoxRequest = {
      boxId: box.boxId,
      identity: { sig: box.identity.sig, publicKey: toBase64Url(box.identity.publicKey) },
      key: { record: fromUtf8(serializeBoxKeyRecord(box.record)), signature: toBase64Url(box.signature) },
      ownerKeys: { fingerprint: toBase64Url(key.fingerprint), sealed: toBase64Url(sealed) },
      ownerTeamId: teamId,
      expiresInSeconds: 3 * 86_400,
      maxDeposits: 10,
      maxDepositBytes: 10_000_000,
      allowedDomains: [],
      ...(options.dataClass ? { dataClass: options.dataClass } : {}),
    };
    return { box, body, fragment: toBase64Url(box.identity.publicKey) };
  }

  async createBox(creator: KeyedMember, teamId: string, options: { dataClass?: string } = {}): Promise<MadeBox> {
    const made = await this.makeBox(creator, teamId, options);
    const reply = await this.boxes.createRequest(creator, made.body);
    if (reply.status !== 201) throw new Error(`create team box: ${reply.status} ${JSON.stringify(reply.body)}`);
    return made;
  }

  /** A team's box keys on a member's client: GET the box keys, open the team's copy with the team key of its epoch. */
  async boxKeysOf(member: KeyedMember, boxId: string, teamKeys?: TeamKeys) {
    const reply = await this.h.request('GET', `/boxes/${boxId}/keys`, { token: member.token });
    if (reply.status !== 200) throw new Error(`box keys: ${reply.status} ${JSON.stringify(reply.body)}`);
    const owner = reply.body.ownerTeam as { teamId: string; epoch: number; sealed: string };
    const keys = teamKeys ?? await this.keysOf(member, owner.teamId);
    const holder = keys.epochs.get(owner.epoch)?.holder;
    if (!holder) throw new Error(`no team key of epoch ${owner.epoch}`);
    const identity: BoxIdentity = { sig: reply.body.identity.sig, publicKey: Buffer.from(reply.body.identity.publicKey, 'base64url') };
    const records = new Map((reply.body.keys as { record: string; signature: string }[]).map((k) => {
      const record = parseBoxKeyRecord(k.record);
      return [record.epoch, { record, signature: Buffer.from(k.signature, 'base64url') }] as const;
    }));
    return openBoxKeys(holder, boxId, Buffer.from(owner.sealed, 'base64url'), identity, records);
  }

  /** Opens a released deposit of a team's box: the box keys through the team keys, then the box slot: CK. */
  async openedDepositKey(member: KeyedMember, transferId: string, opened: Reply): Promise<Buffer> {
    const keys = await this.boxKeysOf(member, opened.body.boxId);
    const slot = opened.body.boxSlot;
    return Buffer.from(await openBoxSlot(keys, slot.epoch, tid(transferId), sid(slot.slotId), Buffer.from(slot.wrapped, 'base64url')));
  }

  async #certifiedTeam(recordText: string, certificate: string | null, teamId: string): Promise<CertifiedTeam> {
    const record = parseTeamRecord(recordText);
    return checkCertifiedTeam(Buffer.from(this.members.org.publicKey, 'base64url'), record, certificate === null ? null : Buffer.from(certificate, 'base64url'), teamId);
  }
}
