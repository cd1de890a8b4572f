// Member-to-member transfers over real HTTP on SQLite and PostgreSQL: finalize with member slots (every refusal),
// the inbox, opening with and without consuming a download, the self slot, mixed transfers with a link, link routes
// of a link-less transfer, expiry, revocation, the purge, and the inbox e-mail. Keys, slots and signatures are real
// (@valise/crypto): what the recipients open is the sender's CK.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type SlotIdBytes, type TransferIdBytes, idFromText, newSecret, openMemberSlot, toBase64Url, unwrapLinkSlot, verifyManifestSignature,
} from '@valise/crypto';
import type { MemberSlot } from '@valise/protocol';
import { newId, newToken } from '../accounts/tokens.js';
import type { OutboxMailer } from '../mail/outbox-mailer.js';
import { availableDialects } from '../testing/databases.js';
import { OutboxReader, asShown } from '../testing/outbox-reader.js';
import { finalizeBody, Harness, type Member, type Reply, type SentTransfer } from '../transfers/transfer-test-kit.js';
import { MemberKit, newOrgKey, type KeyedMember, type MemberSend } from './member-test-kit.js';

const DAY = 86_400_000;

/** Flips the last base64url character's unused low bits: the same bytes to a lax decoder, refused by a strict one. */
function nonCanonical(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return text.slice(0, -1) + alphabet[alphabet.indexOf(text.at(-1)!) | 1];
}


const tid = (id: string) => idFromText<'TransferId'>(id) as TransferIdBytes;
const sid = (id: string) => idFromText<'SlotId'>(id) as SlotIdBytes;

describe('member-to-member transfers', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    describe(dialect, () => {
      let h: Harness;
      let kit: MemberKit;
      /** The sender; bob (X25519) and carol (P-256) receive; dave has keys but is no recipient. */
      let alice: KeyedMember;
      let bob: KeyedMember;
      let carol: KeyedMember;
      let dave: KeyedMember;

      const expectProblem = (reply: Reply, status: number, code: string, what = '') => {
        assert.equal(reply.status, status, `${what} ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.code, code, `${what} ${JSON.stringify(reply.body)}`);
      };
      const row = (id: string) => h.db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const slotRows = (id: string) => h.db.selectFrom('member_slots').selectAll().where('transfer_id', '=', id).execute();
      const slotOf = (sent: MemberSend, member: Member): MemberSlot => sent.body.memberSlots!.find((s) => s.email === member.email)!;
      const part = (transferId: string, fileId: string, token: string) =>
        h.request('GET', `/download/${transferId}/files/${fileId}/parts/0`, { headers: { authorization: `Bearer ${token}` } });
      /** Opens the released member slot with the member's own keys: CK. */
      const openedKey = async (member: KeyedMember, transferId: string, reply: Reply) =>
        Buffer.from(await openMemberSlot(member.keys, tid(transferId), sid(reply.body.memberSlot.slotId), Buffer.from(reply.body.memberSlot.wrapped, 'base64url')));
      const outbox = async () => {
        await h.domain.mailLater.drain();
        const messages = await new OutboxReader((h.server.ctx.mailer as OutboxMailer).dir).messages();
        return messages.map(asShown);
      };

      before(async () => {
        const org = await newOrgKey();
        h = await Harness.start({ dialect, env: { VALISE_ORG_PUBLIC_KEY: org.publicKey } });
        kit = new MemberKit(h, org);
        alice = await kit.keyedMember();
        bob = await kit.keyedMember();
        carol = await kit.keyedMember({ kem: 'P-256', sig: 'ECDSA-P256' });
        dave = await kit.keyedMember();
      });
      after(async () => h?.close());

      it('to members only: no link; in the recipients\' inboxes only; each opens CK; a first open consumes, a reopen does not, the sender never', async () => {
        const sent = await kit.prepare(alice, [bob.email, carol.email], [bob, carol], { sizes: [1000, 20], maxDownloads: 3 });
        const finalized = await kit.finalize(alice, sent.transferId, sent.body);
        assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
        assert.deepEqual(finalized.body, { transferId: sent.transferId, expiresAt: h.clock.now() + 7 * DAY, linkBase: null });

        const t = await row(sent.transferId);
        assert.equal(t.state, 'ready');
        assert.deepEqual([t.link_slot_id, t.link_slot, t.link_auth_key], [null, null, null]);
        assert.equal(toBase64Url(t.manifest_signature!), sent.body.manifestSignature!.signature);
        assert.deepEqual(Buffer.from(t.signer_fingerprint!), Buffer.from(alice.keys.fingerprint));
        const slots = await slotRows(sent.transferId);
        const recipients = await h.db.selectFrom('recipients').select(['id', 'email']).where('transfer_id', '=', sent.transferId).execute();
        const recipientId = (email: string) => recipients.find((r) => r.email === email)!.id;
        assert.deepEqual(
          slots.map((s) => [s.user_id, s.recipient_id, s.slot_id, s.wrapped.length]).sort(),
          [
            [bob.id, recipientId(bob.email), slotOf(sent, bob).slotId, 80],
            [carol.id, recipientId(carol.email), slotOf(sent, carol).slotId, 113],
            [alice.id, null, slotOf(sent, alice).slotId, 80],
          ].sort(),
        );
        const audit = await h.db.selectFrom('audit_log').select('detail').where('action', '=', 'transfer.finalized').where('target', '=', sent.transferId).executeTakeFirstOrThrow();
        assert.deepEqual(JSON.parse(audit.detail!), { expiresAt: t.expires_at, memberSlots: 3, link: false });

        // The inbox: the recipients see it, the sender (self slot only) and others do not.
        const entry = {
          transferId: sent.transferId, kind: 'transfer', sender: { memberId: alice.id, email: alice.email }, deposit: null, state: 'ready', closeReason: null,
          createdAt: t.created_at, expiresAt: t.expires_at, fileCount: 2, contentBytes: 1020, downloadedAt: null, team: null,
        };
        assert.deepEqual((await kit.inbox(bob)).find((e) => e.transferId === sent.transferId), entry);
        assert.deepEqual((await kit.inbox(carol)).find((e) => e.transferId === sent.transferId), entry);
        assert.ok(!(await kit.inbox(alice)).some((e) => e.transferId === sent.transferId), 'a self slot is not an inbox entry');
        assert.ok(!(await kit.inbox(dave)).some((e) => e.transferId === sent.transferId));
        expectProblem(await h.request('GET', '/inbox'), 401, 'unauthenticated');

        // Bob's first open: one download, his slot, which his keys open to the sender's CK; the signature verifies.
        const opened = await kit.open(bob, sent.transferId);
        assert.equal(opened.status, 200, JSON.stringify(opened.body));
        assert.equal(opened.headers.get('cache-control'), 'no-store');
        assert.deepEqual(await openedKey(bob, sent.transferId, opened), Buffer.from(sent.clientKey));
        assert.deepEqual(opened.body.memberSlot, { slotId: slotOf(sent, bob).slotId, wrapped: slotOf(sent, bob).wrapped });
        assert.deepEqual(opened.body.sender, { memberId: alice.id, email: alice.email });
        assert.deepEqual(opened.body.manifestSignature, sent.body.manifestSignature);
        assert.equal(opened.body.manifest, sent.body.manifest);
        assert.equal(opened.body.serverShare, sent.created.serverShare);
        assert.deepEqual(opened.body.files, sent.created.files);
        assert.equal(opened.body.transferExpiresAt, t.expires_at);
        assert.equal(opened.body.grantExpiresAt, h.clock.now() + 30 * 60_000);
        const senderKey = await kit.certifiedKey(bob, opened.body.sender.email);
        assert.ok(await verifyManifestSignature(senderKey, tid(sent.transferId), sent.manifestPlaintext, Buffer.from(opened.body.manifestSignature.signature, 'base64url')));
        assert.equal(await h.downloadsUsed(sent.transferId), 1);

        // Carol's P-256 slot (113 bytes) opens to the same CK.
        const carolOpened = await kit.open(carol, sent.transferId);
        assert.equal(carolOpened.status, 200);
        assert.deepEqual(await openedKey(carol, sent.transferId, carolOpened), Buffer.from(sent.clientKey));
        assert.equal(await h.downloadsUsed(sent.transferId), 2);

        // The grant downloads through the unchanged download routes.
        const fileId = sent.created.files[0]!.fileId;
        const first = await part(sent.transferId, fileId, opened.body.grantToken);
        assert.equal(first.status, 200);
        assert.deepEqual(first.body, sent.files[0]);

        // Reopening while the grant lives: a fresh token, the old one ended, nothing consumed.
        h.clock.advance(1000);
        const reopened = await kit.open(bob, sent.transferId);
        assert.equal(reopened.status, 200);
        assert.notEqual(reopened.body.grantToken, opened.body.grantToken);
        assert.equal(await h.downloadsUsed(sent.transferId), 2);
        expectProblem(await part(sent.transferId, fileId, opened.body.grantToken), 401, 'grant_invalid', 'the replaced grant');
        assert.equal((await part(sent.transferId, fileId, reopened.body.grantToken)).status, 200);
        assert.equal((await h.db.selectFrom('grants').select('id').where('transfer_id', '=', sent.transferId).where('user_id', '=', bob.id).execute()).length, 1);

        // Completing marks Bob's download in his inbox.
        const done = await h.request('POST', `/download/${sent.transferId}/complete`, { headers: { authorization: `Bearer ${reopened.body.grantToken}` } });
        assert.equal(done.status, 204);
        assert.equal((await kit.inbox(bob)).find((e) => e.transferId === sent.transferId)?.downloadedAt, h.clock.now());

        // The sender opens her own transfer through her self slot: nothing consumed, no recipient's download.
        const self = await kit.open(alice, sent.transferId);
        assert.equal(self.status, 200, JSON.stringify(self.body));
        assert.deepEqual(await openedKey(alice, sent.transferId, self), Buffer.from(sent.clientKey));
        assert.equal(self.body.memberSlot.slotId, slotOf(sent, alice).slotId);
        assert.equal(await h.downloadsUsed(sent.transferId), 2);
        const selfDone = await h.request('POST', `/download/${sent.transferId}/complete`, { headers: { authorization: `Bearer ${self.body.grantToken}` } });
        assert.equal(selfDone.status, 204);
        const downloaded = await h.db.selectFrom('recipients').select(['email', 'downloaded_at']).where('transfer_id', '=', sent.transferId).execute();
        assert.equal(downloaded.find((r) => r.email === carol.email)?.downloaded_at, null);
        assert.equal((await kit.open(alice, sent.transferId)).status, 200);
        assert.equal(await h.downloadsUsed(sent.transferId), 2, 'the sender never consumes');

        // A completed download holds no grant: opening again is a new download (the last one).
        assert.equal((await kit.open(bob, sent.transferId)).status, 200);
        assert.equal(await h.downloadsUsed(sent.transferId), 3);
        // Carol still holds her live grant: she may reopen though none is left; once completed, she may not.
        const carolAgain = await kit.open(carol, sent.transferId);
        assert.equal(carolAgain.status, 200);
        assert.equal((await h.request('POST', `/download/${sent.transferId}/complete`, { headers: { authorization: `Bearer ${carolAgain.body.grantToken}` } })).status, 204);
        expectProblem(await kit.open(carol, sent.transferId), 410, 'transfer_exhausted');
        assert.equal(await h.downloadsUsed(sent.transferId), 3);

        // The sender's access log names who opened, and how.
        const detail = await h.request('GET', `/transfers/${sent.transferId}`, { token: alice.token });
        const events = (detail.body.events as { kind: string; recipient: string | null; detail: string | null }[]).map((e) => [e.kind, e.recipient, e.detail]);
        assert.deepEqual(events, [
          ['opened', bob.email, 'member'],
          ['opened', carol.email, 'member'],
          ['resumed', bob.email, 'member'],
          ['download_complete', bob.email, null],
          ['opened', alice.email, 'self'],
          ['download_complete', alice.email, null],
          ['opened', alice.email, 'self'],
          ['opened', bob.email, 'member'],
          ['resumed', carol.email, 'member'],
          ['download_complete', carol.email, null],
        ]);
        assert.equal(detail.body.transfer.downloadsUsed, 3);
      });

      it('e-mails each member recipient (not the sender): who sent, how many files, until when, the inbox; no name, no secret', async () => {
        const before = new Set((await outbox()).map((m) => m.file));
        const sent = await kit.send(alice, [bob.email, carol.email], [bob, carol], { sizes: [10, 20, 30] });
        const mails = (await outbox()).filter((m) => !before.has(m.file));
        assert.deepEqual(mails.map((m) => m.to).sort(), [bob.email, carol.email].sort());
        const expiresAt = (await row(sent.transferId)).expires_at!;
        for (const mail of mails) {
          assert.equal(mail.subject, `Valise: ${alice.email} sent you 3 files`);
          assert.ok(mail.body.includes(alice.email));
          assert.ok(mail.body.includes(`${h.server.url}/inbox`));
          assert.ok(mail.body.includes(`${new Date(expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`));
          for (const secret of ['scan-of-patient-file', sent.transferId, toBase64Url(sent.clientKey), sent.created.serverShare, sent.body.manifest.slice(0, 40),
            ...sent.body.memberSlots!.map((s) => s.wrapped), sent.body.manifestSignature!.signature]) {
            assert.ok(!mail.body.includes(secret) && !mail.subject.includes(secret), 'no file name, id or secret in the mail');
          }
        }
      });

      it('with an outside recipient: a link is required, and both the link and the inbox open the transfer', async () => {
        const outside = `olga-${randomBytes(3).toString('hex')}@clinic.example`;
        const prepared = await kit.prepare(alice, [bob.email, outside], [bob], { maxDownloads: 2 });
        const refused = await kit.finalize(alice, prepared.transferId, prepared.body);
        expectProblem(refused, 422, 'link_required');
        assert.match(refused.body.detail, new RegExp(outside.replace(/[.]/g, '\\.')));
        assert.doesNotMatch(refused.body.detail, new RegExp(bob.email.replace(/[.]/g, '\\.')));

        const linkSecret = newSecret<'LinkSecret'>();
        const slotId = newId();
        const link = await finalizeBody(prepared.transferId, slotId, linkSecret, prepared.clientKey);
        const finalized = await kit.finalize(alice, prepared.transferId, { ...prepared.body, linkSlot: link.linkSlot, linkAuthKey: link.linkAuthKey });
        assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
        assert.equal(finalized.body.linkBase, `${h.server.url}/t/${prepared.transferId}`);
        const audit = await h.db.selectFrom('audit_log').select('detail').where('action', '=', 'transfer.finalized').where('target', '=', prepared.transferId).executeTakeFirstOrThrow();
        assert.deepEqual(JSON.parse(audit.detail!), { expiresAt: finalized.body.expiresAt, memberSlots: 2, link: true });
        assert.ok((await h.mailsTo(bob.email)).length > 0);

        // The outside recipient: link proof and an e-mailed code; the link slot opens to the same CK.
        const viaLink = { transferId: prepared.transferId, linkSecret, slotId, clientKey: prepared.clientKey, created: prepared.created, files: prepared.files } satisfies SentTransfer;
        const granted = await h.grant(viaLink, outside);
        assert.equal(granted.status, 200, JSON.stringify(granted.body));
        const ck = await unwrapLinkSlot(linkSecret, tid(prepared.transferId), sid(slotId), Buffer.from(granted.body.linkSlot.wrapped, 'base64url'));
        assert.deepEqual(Buffer.from(ck), Buffer.from(prepared.clientKey));
        // The member: from the inbox, no link needed.
        const opened = await kit.open(bob, prepared.transferId);
        assert.equal(opened.status, 200, JSON.stringify(opened.body));
        assert.deepEqual(await openedKey(bob, prepared.transferId, opened), Buffer.from(prepared.clientKey));
        assert.equal(await h.downloadsUsed(prepared.transferId), 2);
        // A member grant resumes through the link's release too (the link slot is useless without the link secret).
        const resumed = await h.request('GET', `/download/${prepared.transferId}`, { headers: { authorization: `Bearer ${opened.body.grantToken}` } });
        assert.equal(resumed.status, 200);
        // Nothing left for a third opener.
        expectProblem(await h.request('POST', `/open/${prepared.transferId}/challenge`, { body: {} }), 410, 'transfer_exhausted');
      });

      it('refuses every malformed or unsound finalize, and stores nothing until a sound one', async () => {
        const p = await kit.prepare(alice, [bob.email, carol.email], [bob, carol]);
        const bobSlot = slotOf(p, bob);
        const carolSlot = slotOf(p, carol);
        const selfSlot = slotOf(p, alice);
        const daveSlot = await kit.slot(await kit.certifiedKey(alice, dave.email), p.transferId, p.clientKey);
        const link = await finalizeBody(p.transferId, newId(), newSecret<'LinkSecret'>(), p.clientKey);
        const slots = (...list: MemberSlot[]) => ({ ...p.body, memberSlots: list });
        const signature = p.body.manifestSignature!;
        const { manifestSignature: _, ...unsigned } = p.body;
        const cases: [string, unknown, number, string][] = [
          ['a link slot without its key', { ...p.body, linkSlot: link.linkSlot }, 400, 'validation_failed'],
          ['a link key without its slot', { ...p.body, linkAuthKey: link.linkAuthKey }, 400, 'validation_failed'],
          ['neither a link nor member slots', { manifest: p.body.manifest }, 400, 'validation_failed'],
          ['a signature alone', { manifest: p.body.manifest, manifestSignature: signature }, 400, 'validation_failed'],
          ['an empty list of member slots', slots(), 400, 'validation_failed'],
          ['a slot for someone who is no recipient', slots(bobSlot, carolSlot, daveSlot), 400, 'member_slot_invalid'],
          ['two slots for one member', slots(bobSlot, carolSlot, { ...bobSlot, slotId: newId() }), 400, 'member_slot_invalid'],
          ['two slots for one member, the address in capitals', slots(bobSlot, carolSlot, { ...bobSlot, slotId: newId(), email: bob.email.toUpperCase() }), 400, 'member_slot_invalid'],
          ['one slot id twice', slots(bobSlot, { ...carolSlot, slotId: bobSlot.slotId }), 400, 'member_slot_invalid'],
          ['a slot id that is the link slot\'s', { ...slots(bobSlot, { ...carolSlot, slotId: link.linkSlot!.slotId }), ...link, manifest: p.body.manifest }, 400, 'member_slot_invalid'],
          ['a slot id that is not canonical', slots(bobSlot, { ...carolSlot, slotId: nonCanonical(newId()) }), 400, 'member_slot_invalid'],
          ['a slot sealed to another key', slots({ ...bobSlot, fingerprint: carolSlot.fingerprint }, carolSlot), 409, 'member_key_changed'],
          ['a fingerprint nobody has', slots(bobSlot, { ...carolSlot, fingerprint: toBase64Url(randomBytes(32)) }), 409, 'member_key_changed'],
          ['81 bytes for an X25519 key', slots({ ...bobSlot, wrapped: toBase64Url(randomBytes(81)) }, carolSlot), 400, 'member_slot_invalid'],
          ['80 bytes for a P-256 key', slots(bobSlot, { ...carolSlot, wrapped: toBase64Url(randomBytes(80)) }), 400, 'member_slot_invalid'],
          ['a slot that is not canonical base64url', slots(bobSlot, { ...carolSlot, wrapped: nonCanonical(carolSlot.wrapped) }), 400, 'validation_failed'],
          ['a slot above the schema\'s length', slots(bobSlot, { ...carolSlot, wrapped: toBase64Url(randomBytes(120)) }), 400, 'validation_failed'],
          ['no manifest signature', unsigned, 400, 'manifest_signature_invalid'],
          ['a signature naming another member\'s key', { ...p.body, manifestSignature: { ...signature, signerFingerprint: bobSlot.fingerprint } }, 400, 'manifest_signature_invalid'],
          ['a 63-byte signature', { ...p.body, manifestSignature: { ...signature, signature: toBase64Url(randomBytes(63)) } }, 400, 'validation_failed'],
          ['a signature that is not canonical base64url', { ...p.body, manifestSignature: { ...signature, signature: nonCanonical(signature.signature) } }, 400, 'validation_failed'],
          ['a member recipient without a slot, and no link', slots(bobSlot, selfSlot), 422, 'link_required'],
          ['the self slot alone', slots(selfSlot), 422, 'link_required'],
          ['an unknown field in a slot', slots(bobSlot, { ...carolSlot, name: 'x' } as MemberSlot), 400, 'validation_failed'],
        ];
        for (const [name, body, status, code] of cases) expectProblem(await kit.finalize(alice, p.transferId, body), status, code, name);
        expectProblem(await kit.finalize(bob, p.transferId, p.body), 404, 'not_found', 'someone else\'s transfer');
        assert.equal((await row(p.transferId)).state, 'uploading');
        assert.deepEqual(await slotRows(p.transferId), []);

        // A recipient whose key is not certified, or who was disabled since their key was fetched.
        const uncertified = await kit.keyedMember({ certified: false });
        const disabled = await kit.keyedMember();
        const q = await kit.prepare(alice, [uncertified.email, disabled.email], [disabled]);
        const sealedAnyway = await kit.slot({ record: uncertified.keys.record, fingerprint: uncertified.keys.fingerprint }, q.transferId, q.clientKey);
        const withUncertified = { ...q.body, memberSlots: [...q.body.memberSlots!, sealedAnyway] };
        expectProblem(await kit.finalize(alice, q.transferId, withUncertified), 409, 'member_key_changed', 'uncertified');
        const withoutUncertified = { ...q.body, ...(await finalizeBody(q.transferId, newId(), newSecret<'LinkSecret'>(), q.clientKey)), manifest: q.body.manifest };
        await h.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', disabled.id).execute();
        const refused = await kit.finalize(alice, q.transferId, withoutUncertified);
        expectProblem(refused, 409, 'member_key_changed', 'disabled');
        assert.match(refused.body.detail, /fetch their key again/);
        await h.db.updateTable('users').set({ status: 'active' }).where('id', '=', disabled.id).execute();
        assert.equal((await kit.finalize(alice, q.transferId, withoutUncertified)).status, 200, 'the uncertified one gets the link');

        // A sender whose own key is not certified cannot sign for member slots.
        const grace = await kit.keyedMember({ certified: false });
        const r = await kit.prepare(grace, [bob.email], [bob], { self: false });
        expectProblem(await kit.finalize(grace, r.transferId, r.body), 400, 'manifest_signature_invalid', 'uncertified sender');

        const done = await kit.finalize(alice, p.transferId, p.body);
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.equal((await slotRows(p.transferId)).length, 3);
        expectProblem(await kit.finalize(alice, p.transferId, p.body), 409, 'transfer_not_uploading', 'twice');
      });

      it('answers the link routes of a transfer without a link exactly as for an unknown link', async () => {
        const sent = await kit.send(alice, [bob.email], [bob]);
        const opened = await kit.open(bob, sent.transferId);
        assert.equal(opened.status, 200);
        const routes = async (id: string) => [
          await h.request('POST', `/open/${id}/challenge`, { body: {} }),
          await h.request('POST', `/open/${id}/code`, { body: { challengeId: newId(), proof: toBase64Url(randomBytes(32)), email: bob.email } }),
          await h.request('POST', `/open/${id}/grant`, { body: { openingToken: newToken(), code: '12345678' } }),
          await h.request('POST', `/open/${id}/member-grant`, { token: bob.token, body: { challengeId: newId(), proof: toBase64Url(randomBytes(32)) } }),
        ];
        const compare = async (what: string) => {
          const ours = await routes(sent.transferId);
          const unknown = await routes(newId());
          for (const [i, reply] of ours.entries()) {
            expectProblem(reply, 410, 'link_unavailable', `${what} #${i}`);
            assert.deepEqual(reply.body, unknown[i]!.body, `${what} #${i}: like an unknown link`);
          }
        };
        await compare('ready');
        // The member's grant downloads, but there is no link slot to resume with: the inbox reopens it instead.
        assert.equal((await part(sent.transferId, sent.created.files[0]!.fileId, opened.body.grantToken)).status, 200);
        expectProblem(await h.request('GET', `/download/${sent.transferId}`, { headers: { authorization: `Bearer ${opened.body.grantToken}` } }), 401, 'grant_invalid');
        assert.equal((await h.request('POST', `/transfers/${sent.transferId}/revoke`, { token: alice.token, body: {} })).status, 200);
        await compare('revoked');
        assert.equal(await h.downloadsUsed(sent.transferId), 1);
      });

      it('opens only for a member with a slot: anyone else gets the 404 of an unknown id', async () => {
        const sent = await kit.send(alice, [bob.email], [bob]);
        const unknown = await kit.open(bob, newId());
        expectProblem(unknown, 404, 'not_found');
        const stranger = await kit.open(dave, sent.transferId);
        assert.deepEqual(stranger.body, unknown.body);
        expectProblem(await h.request('POST', `/inbox/${sent.transferId}/open`, { body: {} }), 401, 'unauthenticated');
        expectProblem(await h.request('POST', `/inbox/${sent.transferId}/open`, { token: bob.token, body: { now: true } }), 400, 'validation_failed');
        expectProblem(await h.request('POST', '/inbox/not-an-id/open', { token: bob.token, body: {} }), 400, 'validation_failed');
        // A link transfer sent to bob (no member slot) is not in his inbox either.
        const linkOnly = await h.send(alice, { recipients: [bob.email] });
        expectProblem(await kit.open(bob, linkOnly.transferId), 404, 'not_found');
        assert.ok(!(await kit.inbox(bob)).some((e) => e.transferId === linkOnly.transferId));
        assert.equal(await h.downloadsUsed(sent.transferId), 0);
      });

      it('answers 410 once revoked or expired, lists closed transfers, and the purge leaves no member slot', async () => {
        const revoked = await kit.send(alice, [bob.email], [bob]);
        const expiring = await kit.send(alice, [bob.email], [bob], { expiresInSeconds: 3600 });
        assert.equal((await kit.open(bob, expiring.transferId)).status, 200);

        assert.equal((await h.request('POST', `/transfers/${revoked.transferId}/revoke`, { token: alice.token, body: {} })).status, 200);
        expectProblem(await kit.open(bob, revoked.transferId), 410, 'transfer_revoked');
        expectProblem(await kit.open(alice, revoked.transferId), 410, 'transfer_revoked', 'the self slot too');
        const listed = (await kit.inbox(bob)).find((e) => e.transferId === revoked.transferId);
        assert.deepEqual([listed?.state, listed?.closeReason], ['closed', 'revoked']);

        h.clock.advance(3600 * 1000);
        expectProblem(await kit.open(bob, expiring.transferId), 410, 'transfer_expired', 'even with the grant it held');
        expectProblem(await kit.open(alice, expiring.transferId), 410, 'transfer_expired');
        assert.equal(await h.downloadsUsed(expiring.transferId), 1);

        const report = await h.domain.purge.runOnce();
        for (const sent of [revoked, expiring]) {
          assert.ok(report.purged.includes(sent.transferId));
          assert.deepEqual(await slotRows(sent.transferId), [], 'no member slot survives the purge');
          const t = await row(sent.transferId);
          assert.deepEqual([t.state, t.ss_enc, t.manifest, t.manifest_signature], ['purged', null, null, null]);
          assert.deepEqual(Buffer.from(t.signer_fingerprint!), Buffer.from(alice.keys.fingerprint), 'who signed is kept, like who sent');
          expectProblem(await kit.open(bob, sent.transferId), 404, 'not_found');
          assert.ok(!(await kit.inbox(bob)).some((e) => e.transferId === sent.transferId), 'purged: gone from the inbox');
        }
      });
    });
  }
});
