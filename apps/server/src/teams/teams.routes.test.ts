// Team mailboxes over real HTTP on SQLite and PostgreSQL (docs/format.md §13.5): creation (every refusal), names
// unique whatever the case, certification by an administrator, the key senders seal to, adding members, transfers to a
// team opened by each member, deposits into a team's box opened by each member, and removal — the whole re-keying
// checked (every incomplete payload refused, nothing written), then the removed member refused everywhere while the
// remaining members open what comes next. Keys, slots and sealed copies are real (@valise/crypto).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  addTeamEpoch, createDropBox, createTeam, fromUtf8, openBoxSlot, openTeamKeys, openTeamSlot, parseTeamKeyRecord, sealTeamKeysForMember,
  sealTeamSlot, serializeBoxKeyRecord, serializeTeamKeyRecord, serializeTeamRecord, teamFingerprint, toBase64Url,
} from '@valise/crypto';
import type { RemoveTeamMemberRequest } from '@valise/protocol';
import { newId } from '../accounts/tokens.js';
import { BoxKit, sid, tid } from '../boxes/box-test-kit.js';
import { NotifyJob } from '../jobs/notify.job.js';
import { MemberKit, newOrgKey, type KeyedMember } from '../inbox/member-test-kit.js';
import type { OutboxMailer } from '../mail/outbox-mailer.js';
import { availableDialects } from '../testing/databases.js';
import { OutboxReader, asShown } from '../testing/outbox-reader.js';
import { Harness, type Member, type Reply } from '../transfers/transfer-test-kit.js';
import { TeamKit } from './team-test-kit.js';

/** Flips the last base64url character's unused low bits: the same bytes to a lax decoder, refused by a strict one. */
function nonCanonical(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return text.slice(0, -1) + alphabet[alphabet.indexOf(text.at(-1)!) | 1];
}


describe('team mailboxes', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    describe(dialect, () => {
      let h: Harness;
      let members: MemberKit;
      let boxes: BoxKit;
      let teams: TeamKit;
      /** alice (X25519), bob, carol (P-256): members with certified keys; dave one outside the teams; eve uncertified. */
      let alice: KeyedMember;
      let bob: KeyedMember;
      let carol: KeyedMember;
      let dave: KeyedMember;
      let eve: KeyedMember;
      let admin: Member;

      const expectProblem = (reply: Reply, status: number, code: string, what = '') => {
        assert.equal(reply.status, status, `${what} ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.code, code, `${what} ${JSON.stringify(reply.body)}`);
      };
      const audited = async (action: string, target: string) => {
        const rows = await h.db.selectFrom('audit_log').select(['actor', 'detail']).where('action', '=', action).where('target', '=', target).orderBy('seq').execute();
        return rows.map((r) => ({ actor: r.actor, detail: r.detail === null ? null : JSON.parse(r.detail) }));
      };
      const outbox = async () => {
        await h.domain.mailLater.drain();
        const messages = await new OutboxReader((h.server.ctx.mailer as OutboxMailer).dir).messages();
        return messages.map(asShown);
      };
      const inbox = async (m: Member) => {
        const reply = await h.request('GET', '/inbox', { token: m.token });
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        return reply.body.transfers as { transferId: string; kind: string; team: { teamId: string; name: string } | null }[];
      };
      const teamRow = (id: string) => h.db.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const memberIds = async (teamId: string) =>
        (await h.db.selectFrom('team_members').select(['user_id', 'epoch']).where('team_id', '=', teamId).execute()).map((r) => [r.user_id, r.epoch]).sort();

      /** A certified team of alice, bob and carol. */
      async function trio(name?: string) {
        const made = await teams.create(alice, admin, name);
        await teams.add(alice, made.teamId, bob);
        await teams.add(bob, made.teamId, carol);
        return made;
      }

      before(async () => {
        const org = await newOrgKey();
        h = await Harness.start({ dialect, env: { VALISE_ORG_PUBLIC_KEY: org.publicKey } });
        members = new MemberKit(h, org);
        boxes = new BoxKit(members);
        teams = new TeamKit(members, boxes);
        alice = await members.keyedMember();
        bob = await members.keyedMember();
        carol = await members.keyedMember({ kem: 'P-256', sig: 'ECDSA-P256' });
        dave = await members.keyedMember();
        eve = await members.keyedMember({ certified: false });
        admin = await h.member();
        await h.db.updateTable('users').set({ is_admin: 1 }).where('id', '=', admin.id).execute();
      });
      after(async () => h?.close());

      it('creates a team from keys made on the client, the creator its first member, and refuses every unsound creation', async () => {
        const made = await teams.make(alice, 'Virology lab');
        const other = await teams.make(alice, 'Other lab');
        // The team signing key as alice's client holds it: to sign a well-formed epoch-2 key for a new team.
        const certifiedNot = { record: made.team.record, fingerprint: await teamFingerprint(made.team.record) };
        const aliceKey = await members.certifiedKey(alice, alice.email);
        const opened = await openTeamKeys(alice.keys, certifiedNot, await sealTeamKeysForMember(aliceKey, made.teamId, made.team.bundle),
          new Map([[1, { record: made.team.key.record, signature: made.team.key.signature }]]));
        const epochTwo = (await addTeamEpoch(opened)).key;
        const bidi = await createTeam('Virology lab');
        const bidiRecord = fromUtf8(serializeTeamRecord({ ...bidi.record, name: 'Viro\u202elogy' }));

        const cases: [string, unknown, number, string][] = [
          ['a record that is not canonical JSON', { ...made.body, record: made.body.record.replace('{"createdAt"', '{ "createdAt"') }, 400, 'team_record_invalid'],
          ['a record that is no JSON', { ...made.body, record: 'team' }, 400, 'team_record_invalid'],
          ['a name with a bidi override', { ...made.body, record: bidiRecord }, 400, 'team_record_invalid'],
          ['the key of another team', { ...made.body, key: other.body.key }, 400, 'team_key_invalid'],
          ['a signature of another team', { ...made.body, key: { ...made.body.key, signature: other.body.key.signature } }, 400, 'team_key_invalid'],
          ['epoch 2 for a new team, well signed', { ...made.body, key: { record: fromUtf8(serializeTeamKeyRecord(epochTwo.record)), signature: toBase64Url(epochTwo.signature) } }, 400, 'team_key_invalid'],
          ['a key record that is not canonical', { ...made.body, key: { ...made.body.key, record: made.body.key.record.replace('{"createdAt"', '{ "createdAt"') } }, 400, 'team_key_invalid'],
          ['a signature that is not canonical base64url', { ...made.body, key: { ...made.body.key, signature: nonCanonical(made.body.key.signature) } }, 400, 'validation_failed'],
          ['a sealed copy too short to hold keys', { ...made.body, bundle: toBase64Url(randomBytes(20)) }, 400, 'validation_failed'],
          ['an extra field', { ...made.body, members: [] }, 400, 'validation_failed'],
        ];
        for (const [what, body, status, code] of cases) expectProblem(await teams.createRequest(alice, body), status, code, what);
        expectProblem(await teams.createRequest(eve, made.body), 404, 'member_key_unavailable', 'a creator without a certified key');
        expectProblem(await h.request('POST', '/teams', { body: made.body }), 401, 'unauthenticated');
        assert.equal((await h.db.selectFrom('teams').select('id').execute()).length, 0, 'nothing was stored');

        const created = await teams.createRequest(alice, made.body);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.deepEqual(created.body, {
          teamId: made.teamId, name: 'Virology lab', record: made.body.record, certificate: null, createdAt: h.clock.now(), currentEpoch: 1,
          keys: [made.body.key], members: [{ memberId: alice.id, email: alice.email, epoch: 1, addedAt: h.clock.now() }], boxes: [],
          mine: { epoch: 1, fingerprint: toBase64Url(alice.keys.fingerprint), bundle: made.body.bundle },
        });
        assert.deepEqual(await audited('team.created', made.teamId), [{
          actor: alice.id, detail: { name: 'Virology lab', fingerprint: Buffer.from(await teamFingerprint(made.team.record)).toString('hex'), sig: made.team.record.sig, kem: 'X25519' },
        }]);
        // Names are unique whatever the case; an id once.
        const shouting = await teams.make(bob, 'VIROLOGY LAB');
        expectProblem(await teams.createRequest(bob, shouting.body), 409, 'team_name_taken');
        const sameId = fromUtf8(serializeTeamRecord({ ...made.team.record, name: 'Virology lab 2' }));
        expectProblem(await teams.createRequest(alice, { ...made.body, record: sameId }), 409, 'conflict');
        // Alice opens her own copy (uncertified: her client can check the signatures, not yet the organisation's).
        const first = (created.body.keys as { record: string; signature: string }[]).at(0)!;
        const keys = await openTeamKeys(alice.keys, certifiedNot, Buffer.from(created.body.mine.bundle, 'base64url'),
          new Map([[1, { record: parseTeamKeyRecord(first.record), signature: Buffer.from(first.signature, 'base64url') }]]));
        assert.equal(keys.current.record.epoch, 1);
      });

      it('is certified by an administrator; lists a member\'s teams; shows a team to its members only; serves a certified team\'s key', async () => {
        const made = await teams.create(alice, null);
        expectProblem(await h.request('GET', `/teams/${made.teamId}/key`, { token: dave.token }), 404, 'team_unavailable', 'before certification');
        expectProblem(await h.request('GET', `/teams/key?name=${encodeURIComponent(made.team.record.name)}`, { token: dave.token }), 404, 'team_unavailable');
        const pending = await h.request('GET', '/admin/teams', { token: admin.token });
        assert.equal(pending.status, 200, JSON.stringify(pending.body));
        assert.ok(pending.body.teams.some((t: { teamId: string; createdBy: string }) => t.teamId === made.teamId && t.createdBy === alice.email));
        expectProblem(await h.request('GET', '/admin/teams', { token: alice.token }), 403, 'forbidden');
        expectProblem(await teams.certify(alice, made), 403, 'forbidden');

        const other = await teams.make(alice);
        const wrongRecord = await h.request('POST', `/admin/teams/${made.teamId}/certificate`, {
          token: admin.token, body: { fingerprint: toBase64Url(await teamFingerprint(other.team.record)), certificate: toBase64Url(randomBytes(64)) },
        });
        expectProblem(wrongRecord, 409, 'conflict', 'a fingerprint of another record');
        const wrongSignature = await h.request('POST', `/admin/teams/${made.teamId}/certificate`, {
          token: admin.token, body: { fingerprint: toBase64Url(await teamFingerprint(made.team.record)), certificate: toBase64Url(randomBytes(64)) },
        });
        expectProblem(wrongSignature, 422, 'certificate_invalid');
        const certified = await teams.certify(admin, made);
        assert.equal(certified.status, 200, JSON.stringify(certified.body));
        assert.equal(certified.body.certifiedAt, h.clock.now());
        assert.equal((await audited('team.certified', made.teamId)).length, 1);
        const after = (await h.request('GET', '/admin/teams', { token: admin.token })).body.teams as { teamId: string }[];
        assert.ok(!after.some((t) => t.teamId === made.teamId), 'no longer pending');
        assert.ok((await h.request('GET', '/admin/teams?status=certified', { token: admin.token })).body.teams.some((t: { teamId: string }) => t.teamId === made.teamId));

        // Any member may fetch the key (by id, or by name whatever the case) and check it against the organisation.
        const key = await teams.teamKey(dave, made.teamId);
        assert.equal(key.record.epoch, 1);
        const byName = await h.request('GET', `/teams/key?name=${encodeURIComponent(made.team.record.name.toUpperCase())}`, { token: dave.token });
        assert.equal(byName.status, 200, JSON.stringify(byName.body));
        assert.equal(byName.body.teamId, made.teamId);
        expectProblem(await h.request('GET', `/teams/${newId()}/key`, { token: dave.token }), 404, 'team_unavailable');

        // Members only: anyone else meets the 404 of an unknown team.
        const listed = await h.request('GET', '/teams', { token: alice.token });
        const mine = listed.body.teams.find((t: { teamId: string }) => t.teamId === made.teamId);
        assert.equal(mine.certificate, toBase64Url(Buffer.from((await teamRow(made.teamId)).certificate!)));
        assert.equal(mine.memberCount, 1);
        assert.ok(!(await h.request('GET', '/teams', { token: dave.token })).body.teams.some((t: { teamId: string }) => t.teamId === made.teamId));
        expectProblem(await teams.detail(dave, made.teamId), 404, 'not_found');
        assert.ok((await teams.keysOf(alice, made.teamId)).current, 'alice opens the certified team keys');
      });

      it('adds members, who open the team keys; refuses unsound additions', async () => {
        const made = await teams.create(alice, admin);
        const body = await teams.addBody(alice, made.teamId, bob);
        expectProblem(await teams.addRequest(dave, made.teamId, await teams.addBody(alice, made.teamId, dave)), 404, 'not_found', 'a non-member adding');
        expectProblem(await teams.addRequest(alice, made.teamId, { ...body, memberId: eve.id }), 404, 'member_key_unavailable', 'a member without a certified key');
        expectProblem(await teams.addRequest(alice, made.teamId, { ...body, copy: { ...body.copy, epoch: 2 } }), 409, 'team_key_changed', 'a copy of another epoch');
        expectProblem(await teams.addRequest(alice, made.teamId, { ...body, copy: { ...body.copy, bundle: nonCanonical(body.copy.bundle) } }), 400, 'validation_failed');
        const added = await teams.addRequest(alice, made.teamId, body);
        assert.equal(added.status, 200, JSON.stringify(added.body));
        assert.deepEqual(added.body.members.map((m: { memberId: string; epoch: number }) => [m.memberId, m.epoch]).sort(), [[alice.id, 1], [bob.id, 1]].sort());
        expectProblem(await teams.addRequest(alice, made.teamId, body), 409, 'conflict', 'bob twice');
        assert.equal((await teams.keysOf(bob, made.teamId)).current.record.epoch, 1, 'bob opens his copy');
        await teams.add(bob, made.teamId, carol);
        assert.equal((await teams.keysOf(carol, made.teamId)).current.record.kem, 'X25519', 'carol (P-256 member key) opens hers');
        assert.deepEqual(await audited('team.member_added', made.teamId), [
          { actor: alice.id, detail: { memberId: bob.id, epoch: 1 } }, { actor: bob.id, detail: { memberId: carol.id, epoch: 1 } },
        ]);
        const mail = (await outbox()).find((m) => m.to === bob.email && m.subject.includes(made.team.record.name));
        assert.ok(mail, 'bob is told he joined');
      });

      it('a transfer sent to a team reaches each member\'s inbox; each opens CK; a first open consumes, a reopen does not', async () => {
        const made = await trio();
        const sent = await teams.send(dave, [made.teamId], { maxDownloads: 5 });
        const stored = await h.db.selectFrom('transfer_teams').selectAll().where('transfer_id', '=', sent.transferId).execute();
        assert.deepEqual(stored.map((r) => [r.team_id, r.epoch, r.wrapped?.length]), [[made.teamId, 1, 80]]);
        for (const m of [alice, bob, carol]) {
          const entry = (await inbox(m)).find((e) => e.transferId === sent.transferId);
          assert.deepEqual(entry?.team, { teamId: made.teamId, name: made.team.record.name }, m.email);
        }
        assert.ok(!(await inbox(dave)).some((e) => e.transferId === sent.transferId), 'not in the sender\'s inbox');
        assert.ok(!(await inbox(eve)).some((e) => e.transferId === sent.transferId));

        for (const [i, m] of [alice, bob, carol].entries()) {
          const opened = await teams.openTeam(m, sent.transferId);
          assert.equal(opened.status, 200, JSON.stringify(opened.body));
          assert.deepEqual(opened.body.sender, { memberId: dave.id, email: dave.email });
          assert.deepEqual(opened.body.manifestSignature, sent.body.manifestSignature);
          assert.deepEqual(await teams.openedTeamKey(m, sent.transferId, opened), Buffer.from(sent.clientKey), m.email);
          assert.equal(await h.downloadsUsed(sent.transferId), i + 1);
        }
        assert.equal((await teams.openTeam(bob, sent.transferId)).status, 200);
        assert.equal(await h.downloadsUsed(sent.transferId), 3, 'a reopen while the grant lives consumes nothing');
        const viaMemberRoute = await h.request('POST', `/inbox/${sent.transferId}/open`, { token: bob.token, body: {} });
        expectProblem(viaMemberRoute, 404, 'not_found');
        assert.match(viaMemberRoute.body.detail, /open-team/);
        expectProblem(await teams.openTeam(eve, sent.transferId), 404, 'not_found', 'a non-member');
        expectProblem(await teams.openTeam(dave, sent.transferId), 404, 'not_found', 'the sender (their self slot is theirs)');
        const mails = (await outbox()).filter((m) => m.subject.includes(`to the team "${made.team.record.name}"`));
        assert.deepEqual(mails.map((m) => m.to).sort(), [alice.email, bob.email, carol.email].sort());
        assert.ok(mails.every((m) => !m.body.includes('results.pdf')), 'no file name');
      });

      it('refuses unsound transfers to teams', async () => {
        const made = await trio();
        const pending = await teams.create(alice, null);
        expectProblem(await h.create(dave, [1000], { recipients: [] }), 400, 'validation_failed', 'no recipient, no team');
        expectProblem(await h.create(dave, [1000], { recipients: [], teams: [newId()] }), 404, 'team_unavailable', 'an unknown team');
        expectProblem(await h.create(dave, [1000], { recipients: [], teams: [pending.teamId] }), 404, 'team_unavailable', 'an uncertified team');
        expectProblem(await h.create(dave, [1000], { recipients: [], teams: Array.from({ length: 21 }, () => newId()) }), 400, 'validation_failed', '21 teams');

        const other = await trio();
        const p = await teams.prepare(dave, [made.teamId], { recipients: [bob.email] });
        const slot = p.body.teamSlots![0]!;
        const otherKey = await teams.teamKey(dave, other.teamId);
        const otherWrapped = toBase64Url(await sealTeamSlot(otherKey, tid(p.transferId), sid(slot.slotId), p.clientKey));
        const memberSlot = await members.slot(await members.certifiedKey(dave, bob.email), p.transferId, p.clientKey);
        // bob is a recipient too: his member slot is in every attempt.
        const base = { ...p.body, memberSlots: [memberSlot] };
        const cases: [string, unknown, number, string][] = [
          ['no team slot for a team named', { ...base, teamSlots: undefined }, 400, 'team_slot_invalid'],
          ['a slot for a team not named', { ...base, teamSlots: [slot, { ...slot, teamId: other.teamId, slotId: newId(), wrapped: otherWrapped }] }, 400, 'team_slot_invalid'],
          ['the slot twice', { ...base, teamSlots: [slot, { ...slot, slotId: newId() }] }, 400, 'team_slot_invalid'],
          ['a slot of the wrong size', { ...base, teamSlots: [{ ...slot, wrapped: toBase64Url(randomBytes(113)) }] }, 400, 'team_slot_invalid'],
          ['a slot id used by a member slot', { ...base, memberSlots: [{ ...memberSlot, slotId: slot.slotId }] }, 400, 'team_slot_invalid'],
          ['a slot id that is not canonical', { ...base, teamSlots: [{ ...slot, slotId: nonCanonical(slot.slotId) }] }, 400, 'team_slot_invalid'],
          ['sealed to an epoch the team is not at', { ...base, teamSlots: [{ ...slot, epoch: 2 }] }, 409, 'team_key_changed'],
          ['without the sender\'s signature', { teamSlots: p.body.teamSlots, memberSlots: [memberSlot], manifest: p.body.manifest }, 400, 'manifest_signature_invalid'],
        ];
        for (const [what, body, status, code] of cases) expectProblem(await teams.finalize(dave, p.transferId, JSON.parse(JSON.stringify(body))), status, code, what);
        // bob is a recipient and a member: one inbox entry, his own; the team reaches alice and carol.
        const done = await teams.finalize(dave, p.transferId, { ...p.body, memberSlots: [memberSlot] });
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.deepEqual((await inbox(bob)).filter((e) => e.transferId === p.transferId).map((e) => e.team), [null]);
        assert.deepEqual((await inbox(carol)).filter((e) => e.transferId === p.transferId).map((e) => e.team?.teamId), [made.teamId]);
      });

      it('a team owns a drop box: every member lists it, each opens its deposits; refuses unsound team boxes', async () => {
        const made = await trio();
        const pending = await teams.create(alice, null);
        const key = await teams.teamKey(alice, made.teamId);
        const notMine = await teams.makeBox(dave, made.teamId, { key });
        expectProblem(await boxes.createRequest(dave, notMine.body), 404, 'team_unavailable', 'a non-member\'s box for the team');
        const wrongSeal = await teams.makeBox(alice, made.teamId, { key });
        const forAlice = await boxes.make(alice);
        expectProblem(await boxes.createRequest(alice, { ...wrongSeal.body, ownerKeys: forAlice.body.ownerKeys }), 409, 'team_key_changed', 'sealed to alice, not the team');
        expectProblem(await boxes.createRequest(alice, { ...wrongSeal.body, ownerTeamId: pending.teamId }), 404, 'team_unavailable', 'an uncertified team');

        const box = await teams.createBox(carol, made.teamId);
        const boxId = box.box.boxId;
        for (const m of [alice, bob, carol]) {
          const listed = (await h.request('GET', '/boxes', { token: m.token })).body.boxes.find((b: { boxId: string }) => b.boxId === boxId);
          assert.deepEqual(listed?.ownerTeam, { teamId: made.teamId, name: made.team.record.name }, m.email);
        }
        assert.ok(!(await h.request('GET', '/boxes', { token: dave.token })).body.boxes.some((b: { boxId: string }) => b.boxId === boxId));
        expectProblem(await h.request('GET', `/boxes/${boxId}/keys`, { token: dave.token }), 404, 'not_found');

        const deposit = await boxes.deposit(box, `ana-${randomBytes(3).toString('hex')}@lab.example`);
        for (const [i, m] of [alice, bob, carol].entries()) {
          const entry = (await inbox(m)).find((e) => e.transferId === deposit.transferId);
          assert.equal(entry?.kind, 'deposit');
          assert.deepEqual(entry?.team, { teamId: made.teamId, name: made.team.record.name });
          const opened = await boxes.openDeposit(m, deposit.transferId);
          assert.equal(opened.status, 200, JSON.stringify(opened.body));
          assert.equal(opened.body.ownerTeam.teamId, made.teamId);
          assert.equal(opened.body.ownerTeam.keys.epoch, 1);
          assert.deepEqual(await teams.openedDepositKey(m, deposit.transferId, opened), Buffer.from(deposit.clientKey), m.email);
          assert.equal(await h.downloadsUsed(deposit.transferId), i + 1);
        }
        expectProblem(await boxes.openDeposit(dave, deposit.transferId), 404, 'not_found');
        const notices = (await outbox()).filter((m) => m.subject.includes(`drop box "Virology samples" of the team "${made.team.record.name}"`));
        assert.deepEqual(notices.map((m) => m.to).sort(), [alice.email, bob.email, carol.email].sort());
      });

      it('a team counts as one recipient: its first completed download marks it, and a delete-once-downloaded class then closes the transfer or deposit', async () => {
        const made = await trio();
        const teamName = made.team.record.name;
        const complete = (transferId: string, grantToken: string) =>
          h.request('POST', `/download/${transferId}/complete`, { headers: { authorization: `Bearer ${grantToken}` } });
        const state = async (transferId: string) =>
          h.db.selectFrom('transfers').select(['state', 'close_reason']).where('id', '=', transferId).executeTakeFirstOrThrow();
        const teamEntry = async (m: Member, transferId: string) =>
          (await inbox(m)).find((e) => e.transferId === transferId) as { downloadedAt: number | null } | undefined;
        const senderView = async (transferId: string) =>
          (await h.request('GET', `/transfers/${transferId}`, { token: dave.token })).body.transfer as { recipients: string[]; teams: unknown[] };
        const notify = new NotifyJob({
          handle: h.server.ctx.database, mailer: h.server.ctx.mailer, clock: h.clock, logger: h.server.ctx.logger, intervalMs: 86_400_000, expiryWarningMs: null,
        });
        const toldDave = async (transferId: string) => (await outbox()).filter((m) => m.to === dave.email && m.subject.includes('downloaded') && m.body.includes(transferId));

        const sent = await teams.send(dave, [made.teamId], { maxDownloads: 5, dataClass: 'health' });
        assert.deepEqual((await senderView(sent.transferId)).teams, [{ teamId: made.teamId, name: teamName, downloadedAt: null }]);
        const byBob = await teams.openTeam(bob, sent.transferId);
        assert.equal(byBob.status, 200, JSON.stringify(byBob.body));
        const byCarol = await teams.openTeam(carol, sent.transferId);
        await h.domain.purge.runOnce();
        assert.equal((await state(sent.transferId)).state, 'ready', 'opened is not downloaded');
        assert.equal((await complete(sent.transferId, byBob.body.grantToken)).status, 204);
        const bobDone = h.clock.now();
        h.clock.advance(1000);
        assert.equal((await complete(sent.transferId, byCarol.body.grantToken)).status, 204);
        for (const m of [alice, bob, carol]) assert.equal((await teamEntry(m, sent.transferId))?.downloadedAt, bobDone, `${m.email}: the team's first`);
        assert.deepEqual((await senderView(sent.transferId)).teams, [{ teamId: made.teamId, name: teamName, downloadedAt: bobDone }]);
        // The sender is told once that the team downloaded (not once per member).
        await notify.runOnce();
        await notify.runOnce();
        const told = await toldDave(sent.transferId);
        assert.equal(told.length, 1);
        assert.match(told[0]!.subject, new RegExp(`^Valise: The team "${teamName}" downloaded your files of `));
        assert.match(told[0]!.body, new RegExp(`Recipients: +the team "${teamName}" \\(downloaded\\)`));
        const purged = await h.domain.purge.runOnce();
        assert.ok(purged.purged.includes(sent.transferId), 'the team confirmed, no grant live');
        assert.equal((await state(sent.transferId)).close_reason, 'downloaded');

        // A class that keeps its transfers: the team's download changes nothing.
        const kept = await teams.send(dave, [made.teamId], { maxDownloads: 5 });
        const keptOpen = await teams.openTeam(alice, kept.transferId);
        assert.equal((await complete(kept.transferId, keptOpen.body.grantToken)).status, 204);
        await h.domain.purge.runOnce();
        assert.equal((await state(kept.transferId)).state, 'ready');

        // A deposit into the team's box under that class: the team is its only recipient.
        const box = await teams.createBox(alice, made.teamId, { dataClass: 'health' });
        const deposit = await boxes.deposit(box, `ana-${randomBytes(3).toString('hex')}@lab.example`);
        assert.equal((await teamEntry(carol, deposit.transferId))?.downloadedAt, null);
        const opened = await boxes.openDeposit(carol, deposit.transferId);
        assert.equal(opened.status, 200, JSON.stringify(opened.body));
        await h.domain.purge.runOnce();
        assert.equal((await state(deposit.transferId)).state, 'ready', 'a grant is live, nothing confirmed');
        assert.equal((await complete(deposit.transferId, opened.body.grantToken)).status, 204);
        assert.equal((await teamEntry(alice, deposit.transferId))?.downloadedAt, h.clock.now());
        const closed = await h.domain.purge.runOnce();
        assert.ok(closed.purged.includes(deposit.transferId));
        assert.equal((await state(deposit.transferId)).close_reason, 'downloaded');

        // The box has no owner rows: the team's current members get the deposit's deletion record (and nobody a
        // download notice: the team downloaded it itself).
        await notify.runOnce();
        const depositRow = await h.db.selectFrom('transfer_teams').select('download_notified_at').where('transfer_id', '=', deposit.transferId).executeTakeFirstOrThrow();
        assert.equal(depositRow.download_notified_at, h.clock.now(), 'marked, not mailed');
        assert.ok(!(await outbox()).some((m) => m.subject.includes('downloaded') && m.body.includes(deposit.transferId)));
        const records = (await outbox()).filter((m) => m.subject.includes('was deleted') && m.body.includes(deposit.transferId));
        assert.deepEqual(records.map((m) => m.to).sort(), [alice.email, bob.email, carol.email].sort());
        assert.match(records[0]!.body, new RegExp(`Owners: +the team "${teamName}"`));
      });

      it('removal re-keys the team and its boxes in one request, refuses every incomplete re-keying, and shuts the removed member out', async () => {
        const made = await trio();
        const teamId = made.teamId;
        const box = await teams.createBox(alice, teamId);
        const otherBox = await boxes.create(alice);
        const before = await teams.send(dave, [teamId]);
        const depositBefore = await boxes.deposit(box, `ana-${randomBytes(3).toString('hex')}@lab.example`);
        const bobKeys = await teams.keysOf(bob, teamId);
        const bobBoxKeys = await teams.boxKeysOf(bob, box.box.boxId);

        const body = await teams.removeBody(alice, teamId, bob.id);
        const copy = (id: string) => body.copies.find((c) => c.memberId === id)!;
        const bobCopy = { memberId: bob.id, bundle: copy(carol.id).bundle };
        const aliceTeamKeys = await teams.keysOf(alice, teamId);
        const epoch3 = (await addTeamEpoch({ ...aliceTeamKeys, current: (await addTeamEpoch(aliceTeamKeys)).verified })).key;
        const otherTeam = await teams.make(alice);
        const strangerBox = await createDropBox('Virology samples');
        const rekey = (b: RemoveTeamMemberRequest['boxes'][number]) => b;
        const cases: [string, RemoveTeamMemberRequest, number, string][] = [
          ['no copies at all', { ...body, copies: [] }, 422, 'team_rekey_incomplete'],
          ['no copy for carol', { ...body, copies: [copy(alice.id)] }, 422, 'team_rekey_incomplete'],
          ['a copy for the removed member', { ...body, copies: [...body.copies, bobCopy] }, 422, 'team_rekey_incomplete'],
          ['a copy for someone outside the team', { ...body, copies: [...body.copies, { memberId: dave.id, bundle: copy(alice.id).bundle }] }, 422, 'team_rekey_incomplete'],
          ['alice\'s copy twice', { ...body, copies: [...body.copies, copy(alice.id)] }, 422, 'team_rekey_incomplete'],
          ['no new epoch for the team\'s box', { ...body, boxes: [] }, 422, 'team_rekey_incomplete'],
          ['a new epoch for a box the team does not own', { ...body, boxes: [...body.boxes, rekey({ ...body.boxes[0]!, boxId: otherBox.box.boxId })] }, 422, 'team_rekey_incomplete'],
          ['the box twice', { ...body, boxes: [...body.boxes, body.boxes[0]!] }, 422, 'team_rekey_incomplete'],
          ['the current key again', { ...body, key: made.body.key }, 409, 'team_key_changed'],
          ['a key of epoch 3', { ...body, key: { record: fromUtf8(serializeTeamKeyRecord(epoch3.record)), signature: toBase64Url(epoch3.signature) } }, 400, 'team_key_invalid'],
          ['a key signed by another team', { ...body, key: { ...body.key, signature: otherTeam.body.key.signature } }, 400, 'team_key_invalid'],
          ['a box record signed by another box', { ...body, boxes: [{ ...body.boxes[0]!, key: { ...body.boxes[0]!.key, signature: toBase64Url(strangerBox.signature) } }] }, 400, 'box_key_invalid'],
          ['a box record of another box', { ...body, boxes: [{ ...body.boxes[0]!, key: { record: fromUtf8(serializeBoxKeyRecord(strangerBox.record)), signature: toBase64Url(strangerBox.signature) } }] }, 400, 'box_key_invalid'],
          ['the box\'s current epoch again', { ...body, boxes: [{ ...body.boxes[0]!, key: box.body.key }] }, 409, 'box_key_changed'],
          ['a copy that is not canonical base64url', { ...body, copies: body.copies.map((c) => ({ ...c, bundle: nonCanonical(c.bundle) })) }, 400, 'validation_failed'],
        ];
        for (const [what, payload, status, code] of cases) expectProblem(await teams.removeRequest(alice, teamId, bob.id, payload), status, code, what);
        expectProblem(await teams.removeRequest(dave, teamId, bob.id, body), 404, 'not_found', 'a non-member removing');
        expectProblem(await teams.removeRequest(alice, teamId, dave.id, body), 404, 'not_found', 'removing a non-member');
        // Nothing of the refused attempts was written.
        assert.equal((await teamRow(teamId)).current_epoch, 1);
        assert.deepEqual(await memberIds(teamId), [[alice.id, 1], [bob.id, 1], [carol.id, 1]].sort());

        const removed = await teams.removeRequest(alice, teamId, bob.id, body);
        assert.equal(removed.status, 200, JSON.stringify(removed.body));
        assert.deepEqual(removed.body, { teamId, currentEpoch: 2 });
        expectProblem(await teams.removeRequest(alice, teamId, carol.id, await teams.removeBody(alice, teamId, carol.id).then((b) => ({ ...b, key: body.key }))), 409, 'team_key_changed', 'a re-keying from a stale view');
        assert.deepEqual(await audited('team.member_removed', teamId), [{
          actor: alice.id, detail: { memberId: bob.id, left: false, epoch: 2, members: 2, boxes: [{ boxId: box.box.boxId, epoch: 2 }] },
        }]);
        const detail = (await teams.detail(alice, teamId)).body;
        assert.equal(detail.keys.length, 2);
        assert.deepEqual(detail.members.map((m: { memberId: string; epoch: number }) => [m.memberId, m.epoch]).sort(), [[alice.id, 2], [carol.id, 2]].sort());
        assert.deepEqual(detail.boxes, [{ boxId: box.box.boxId, name: 'Virology samples', currentEpoch: 2 }]);

        // The removed member: nothing of the team any more.
        expectProblem(await teams.detail(bob, teamId), 404, 'not_found');
        assert.ok(!(await h.request('GET', '/teams', { token: bob.token })).body.teams.some((t: { teamId: string }) => t.teamId === teamId));
        expectProblem(await teams.openTeam(bob, before.transferId), 404, 'not_found', 'a transfer from before');
        expectProblem(await boxes.openDeposit(bob, depositBefore.transferId), 404, 'not_found', 'a deposit from before');
        expectProblem(await h.request('GET', `/boxes/${box.box.boxId}/keys`, { token: bob.token }), 404, 'not_found');
        expectProblem(await teams.addRequest(bob, teamId, { memberId: dave.id, copy: { epoch: 2, bundle: copy(carol.id).bundle } }), 404, 'not_found');
        assert.ok(!(await inbox(bob)).some((e) => e.team?.teamId === teamId), 'no team entry in bob\'s inbox');

        // A sender still holding epoch 1 is refused; the new key is epoch 2.
        const stale = await teams.prepare(dave, [teamId], { key: bobKeys.current });
        expectProblem(await teams.finalize(dave, stale.transferId, stale.body), 409, 'team_key_changed');
        const after = await teams.send(dave, [teamId]);
        const depositAfter = await boxes.deposit(box, `ana-${randomBytes(3).toString('hex')}@lab.example`);
        assert.equal(depositAfter.body.boxSlot.epoch, 2, 'depositors encrypt to the new box epoch');
        expectProblem(await teams.openTeam(bob, after.transferId), 404, 'not_found');
        expectProblem(await boxes.openDeposit(bob, depositAfter.transferId), 404, 'not_found');
        // And bob's client, with every key he ever held, opens neither (should the server release them anyway).
        const opened = await teams.openTeam(carol, after.transferId);
        assert.equal(opened.status, 200, JSON.stringify(opened.body));
        assert.equal(opened.body.teamSlot.epoch, 2);
        await assert.rejects(openTeamSlot(bobKeys, 2, tid(after.transferId), sid(opened.body.teamSlot.slotId), Buffer.from(opened.body.teamSlot.wrapped, 'base64url')));
        const openedDeposit = await boxes.openDeposit(carol, depositAfter.transferId);
        await assert.rejects(openBoxSlot(bobBoxKeys, 2, tid(depositAfter.transferId), sid(openedDeposit.body.boxSlot.slotId),
          Buffer.from(openedDeposit.body.boxSlot.wrapped, 'base64url')));

        // The remaining members open everything, before and after.
        for (const m of [alice, carol]) {
          assert.deepEqual(await teams.openedTeamKey(m, after.transferId, await teams.openTeam(m, after.transferId)), Buffer.from(after.clientKey), m.email);
          assert.deepEqual(await teams.openedTeamKey(m, before.transferId, await teams.openTeam(m, before.transferId)), Buffer.from(before.clientKey), m.email);
          assert.deepEqual(await teams.openedDepositKey(m, depositAfter.transferId, await boxes.openDeposit(m, depositAfter.transferId)), Buffer.from(depositAfter.clientKey), m.email);
          assert.deepEqual(await teams.openedDepositKey(m, depositBefore.transferId, await boxes.openDeposit(m, depositBefore.transferId)), Buffer.from(depositBefore.clientKey), m.email);
        }

        // A member may leave (the same re-keying); the last one may not.
        await teams.remove(carol, teamId, carol.id);
        expectProblem(await teams.detail(carol, teamId), 404, 'not_found');
        const last = await teams.removeRequest(alice, teamId, alice.id, { key: body.key, copies: [], boxes: [] });
        expectProblem(last, 409, 'conflict', 'the last member');
        // Bob can be added back: with the keys of now (epoch 3), so he reads what comes next.
        await teams.add(alice, teamId, bob);
        assert.equal((await teams.keysOf(bob, teamId)).current.record.epoch, 3);
      });
    });
  }
});
