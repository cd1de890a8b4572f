// Drop boxes over real HTTP on SQLite and PostgreSQL: creation (every refusal), the public view, a depositor's code
// and token, deposits (create, parts, status, finalize, receipt, mails), the owners' inbox and open-deposit, what a
// deposit token cannot do, the deposit limit under a race, sizes and quota, closing, expiry, the purge (of deposits
// and of boxes) and the notices. Box keys, slots and owners' sealed keys are real (@valise/crypto): what the owner
// opens is the depositor's CK.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  boxKeyFingerprint, concatBytes, ciphertextSize, fromUtf8, newSecret, openBoxKeys, serializeBoxKeyRecord, sign, toBase64Url, utf8, verifyBoxKey,
} from '@valise/crypto';
import { newId, newToken } from '../accounts/tokens.js';
import { NotifyJob } from '../jobs/notify.job.js';
import type { OutboxMailer } from '../mail/outbox-mailer.js';
import { MemberKit, newOrgKey, type KeyedMember } from '../inbox/member-test-kit.js';
import { availableDialects } from '../testing/databases.js';
import { OutboxReader, asShown } from '../testing/outbox-reader.js';
import { Harness, sha256Of, type Reply } from '../transfers/transfer-test-kit.js';
import { BoxKit } from './box-test-kit.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Flips the last base64url character's unused low bits: the same bytes to a lax decoder, refused by a strict one. */
function nonCanonical(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return text.slice(0, -1) + alphabet[alphabet.indexOf(text.at(-1)!) | 1];
}



const address = (who: string, domain = 'lab.example') => `${who}-${randomBytes(3).toString('hex')}@${domain}`;

describe('drop boxes', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    describe(dialect, () => {
      let h: Harness;
      let members: MemberKit;
      let boxes: BoxKit;
      /** alice (X25519) and carol (P-256) own boxes; bob is a member with keys who owns none of them. */
      let alice: KeyedMember;
      let bob: KeyedMember;
      let carol: KeyedMember;

      const expectProblem = (reply: Reply, status: number, code: string, what = '') => {
        assert.equal(reply.status, status, `${what} ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.code, code, `${what} ${JSON.stringify(reply.body)}`);
      };
      const transfer = (id: string) => h.db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const boxRow = (id: string) => h.db.selectFrom('drop_boxes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const outbox = async () => {
        await h.domain.mailLater.drain();
        const messages = await new OutboxReader((h.server.ctx.mailer as OutboxMailer).dir).messages();
        return messages.map(asShown);
      };
      const audited = async (action: string, target: string) => {
        const rows = await h.db.selectFrom('audit_log').select(['actor', 'detail']).where('action', '=', action).where('target', '=', target).execute();
        return rows.map((r) => ({ actor: r.actor, detail: r.detail === null ? null : JSON.parse(r.detail) }));
      };
      const inbox = (member: { token: string }) => h.request('GET', '/inbox', { token: member.token });
      const part = (transferId: string, fileId: string, grant: string) =>
        h.request('GET', `/download/${transferId}/files/${fileId}/parts/0`, { headers: { authorization: `Bearer ${grant}` } });

      before(async () => {
        const org = await newOrgKey();
        h = await Harness.start({ dialect, env: { VALISE_ORG_PUBLIC_KEY: org.publicKey, VALISE_MAX_FILES: '5' } });
        members = new MemberKit(h, org);
        boxes = new BoxKit(members);
        alice = await members.keyedMember();
        bob = await members.keyedMember();
        carol = await members.keyedMember({ kem: 'P-256', sig: 'ECDSA-P256' });
      });
      after(async () => h?.close());

      it('creates a box from keys made on the client, lists it, serves its owner the keys, and refuses every unsound creation', async () => {
        const made = await boxes.make(alice, { allowedDomains: ['lab.example', 'clinic.example', 'lab.example'] });
        const boxId = made.box.boxId;
        const other = await boxes.make(alice);

        // The signing key, as the owner's client holds it after opening its own sealed copy: to sign a wrong epoch.
        const keys = await openBoxKeys(alice.keys, boxId, Buffer.from(made.body.ownerKeys.sealed, 'base64url'), made.box.identity,
          new Map([[1, { record: made.box.record, signature: made.box.signature }]]));
        const epochTwo = { ...made.box.record, epoch: 2 };
        const epochTwoSignature = await sign(keys.signingKey, concatBytes(utf8('valise/v1/drop-box-key'), Uint8Array.of(0), await boxKeyFingerprint(epochTwo)));
        assert.ok(await verifyBoxKey(made.box.identity, boxId, epochTwo, epochTwoSignature), 'a well-signed record of epoch 2');
        const epochTwoKey = { record: fromUtf8(serializeBoxKeyRecord(epochTwo)), signature: toBase64Url(epochTwoSignature) };
        const reordering = { ...made.box.record, name: 'Lab \u202eresults' };
        const reorderingSignature = await sign(keys.signingKey, concatBytes(utf8('valise/v1/drop-box-key'), Uint8Array.of(0), await boxKeyFingerprint(reordering)));
        const reorderingKey = { record: fromUtf8(serializeBoxKeyRecord(reordering)), signature: toBase64Url(reorderingSignature) };

        const cases: [string, unknown, number, string][] = [
          ['a signature of another box', { ...made.body, key: { ...made.body.key, signature: other.body.key.signature } }, 400, 'box_key_invalid'],
          ['the identity of another box', { ...made.body, identity: other.body.identity }, 400, 'box_key_invalid'],
          ['a record naming another box', { ...made.body, boxId: other.box.boxId }, 400, 'box_key_invalid'],
          ['epoch 2 for a new box', { ...made.body, key: epochTwoKey }, 400, 'box_key_invalid'],
          ['a name with a bidi override, well signed', { ...made.body, key: reorderingKey }, 400, 'box_key_invalid'],
          ['a record that is not canonical JSON', { ...made.body, key: { ...made.body.key, record: made.body.key.record.replace('{"boxId"', '{ "boxId"') } }, 400, 'box_key_invalid'],
          ['a record that is no JSON', { ...made.body, key: { ...made.body.key, record: 'box' } }, 400, 'box_key_invalid'],
          ['a 65-byte Ed25519 key', { ...made.body, identity: { sig: 'Ed25519', publicKey: toBase64Url(randomBytes(65)) } }, 400, 'box_key_invalid'],
          ['a signature that is not canonical base64url', { ...made.body, key: { ...made.body.key, signature: nonCanonical(made.body.key.signature) } }, 400, 'validation_failed'],
          ['sealed to a fingerprint that is not the owner\'s', { ...made.body, ownerKeys: { ...made.body.ownerKeys, fingerprint: toBase64Url(randomBytes(32)) } }, 409, 'member_key_changed'],
          ['longer than the data class allows', { ...made.body, expiresInSeconds: 31 * 86_400 }, 400, 'expiry_out_of_range'],
          ['longer than the health class allows', { ...made.body, dataClass: 'health', expiresInSeconds: 8 * 86_400 }, 400, 'expiry_out_of_range'],
          ['a data class that does not exist', { ...made.body, dataClass: 'nope' }, 400, 'data_class_unknown'],
          ['deposits above the largest file the server takes', { ...made.body, maxDepositBytes: 101 * 1024 ** 3 }, 400, 'validation_failed'],
          ['a domain in capitals', { ...made.body, allowedDomains: ['Lab.example'] }, 400, 'validation_failed'],
          ['an unknown field', { ...made.body, owners: [] }, 400, 'validation_failed'],
        ];
        for (const [name, body, status, code] of cases) expectProblem(await boxes.createRequest(alice, body), status, code, name);
        expectProblem(await boxes.createRequest(bob, made.body), 409, 'member_key_changed', 'sealed to someone else\'s key');
        const uncertified = await members.keyedMember({ certified: false });
        expectProblem(await boxes.createRequest(uncertified, made.body), 404, 'member_key_unavailable', 'no certified key');
        const keyless = await h.member();
        expectProblem(await h.request('POST', '/boxes', { token: keyless.token, body: made.body }), 404, 'member_key_unavailable', 'no key at all');
        expectProblem(await h.request('POST', '/boxes', { body: made.body }), 401, 'unauthenticated');
        assert.equal(await h.db.selectFrom('drop_boxes').select('id').where('id', '=', boxId).executeTakeFirst(), undefined, 'nothing stored');

        const now = h.clock.now();
        const created = await boxes.createRequest(alice, made.body);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const summary = {
          boxId, name: 'Lab results', identity: made.body.identity, linkBase: `${h.server.url}/d/${boxId}`, state: 'open',
          createdAt: now, expiresAt: now + 3 * DAY, maxDeposits: 10, depositsUsed: 0, maxDepositBytes: 10_000_000,
          allowedDomains: ['lab.example', 'clinic.example'], dataClass: 'standard', ownerTeam: null,
        };
        assert.deepEqual(created.body, summary);
        expectProblem(await boxes.createRequest(alice, made.body), 409, 'conflict', 'the same box id twice');
        assert.deepEqual(await audited('box.created', boxId), [{
          actor: alice.id,
          detail: { dataClass: 'standard', expiresAt: now + 3 * DAY, maxDeposits: 10, maxDepositBytes: 10_000_000, allowedDomains: ['lab.example', 'clinic.example'], sig: made.box.identity.sig, kem: made.box.record.kem },
        }]);

        const listed = await h.request('GET', '/boxes', { token: alice.token });
        assert.equal(listed.status, 200);
        assert.deepEqual(listed.body.boxes.find((b: { boxId: string }) => b.boxId === boxId), summary);
        assert.ok(!(await h.request('GET', '/boxes', { token: bob.token })).body.boxes.some((b: { boxId: string }) => b.boxId === boxId));

        const served = await h.request('GET', `/boxes/${boxId}/keys`, { token: alice.token });
        assert.equal(served.status, 200);
        assert.equal(served.headers.get('cache-control'), 'no-store');
        assert.deepEqual(served.body, { boxId, identity: made.body.identity, keys: [made.body.key], ownerKeys: made.body.ownerKeys, ownerTeam: null });
        const opened = await boxes.ownerKeys(alice, boxId);
        assert.deepEqual([...opened.epochs.keys()], [1]);
        const unknown = await h.request('GET', `/boxes/${newId()}/keys`, { token: alice.token });
        expectProblem(unknown, 404, 'not_found');
        assert.deepEqual((await h.request('GET', `/boxes/${boxId}/keys`, { token: bob.token })).body, unknown.body, 'another\'s box: like an unknown one');
        expectProblem(await h.request('GET', `/boxes/${boxId}/keys`), 401, 'unauthenticated');

        // A P-256 box sealed to a P-256 owner.
        const p256 = await boxes.create(carol, { kem: 'P-256', sig: 'ECDSA-P256', dataClass: 'health', expiresInSeconds: 7 * 86_400 });
        const carolKeys = await boxes.ownerKeys(carol, p256.box.boxId);
        assert.equal(carolKeys.epochs.get(1)?.key.record.kem, 'P-256');

        // A data class tightened later shortens its boxes at once, as it does its transfers.
        await h.domain.dataClasses.change(alice.id, 'boxes-test', { maxExpiryMs: 10 * DAY, defaultExpiryMs: DAY }, { create: true });
        const classed = await boxes.create(alice, { dataClass: 'boxes-test', expiresInSeconds: 9 * 86_400 });
        await h.domain.dataClasses.change(alice.id, 'boxes-test', { maxExpiryMs: 2 * DAY }, { create: false });
        const shortened = await boxRow(classed.box.boxId);
        assert.equal(shortened.expires_at, shortened.created_at + 2 * DAY);
      });

      it('shows a depositor the box and proves their address by a mailed code: domains, wrong, exhausted, expired codes, rate limit', async () => {
        const made = await boxes.create(alice, { allowedDomains: ['lab.example'] });
        const boxId = made.box.boxId;
        const view = await h.request('GET', `/boxes/${boxId}/public`);
        assert.equal(view.status, 200);
        assert.deepEqual(view.body, { boxId, key: made.body.key, expiresAt: h.clock.now() + 3 * DAY, maxDepositBytes: 10_000_000, maxFiles: 5, allowedDomains: ['lab.example'] });
        const verified = await boxes.boxKey(boxId, made.fragment);
        assert.equal(verified.record.name, 'Lab results', 'the depositor\'s client checks the key against the link');
        expectProblem(await h.request('GET', `/boxes/${newId()}/public`), 404, 'not_found');
        expectProblem(await boxes.askCode(newId(), address('ana')), 404, 'not_found');
        expectProblem(await h.request('GET', '/boxes/not-an-id/public'), 400, 'validation_failed');

        // Domains: exactly one listed, or a subdomain of one; nothing else (and no mail to it).
        for (const refused of [address('eve', 'evil.example'), address('eve', 'otherlab.example'), address('eve', 'lab.example.org')]) {
          const reply = await boxes.askCode(boxId, refused);
          expectProblem(reply, 403, 'depositor_domain_not_allowed', refused);
          assert.match(reply.body.detail, /lab\.example/);
          assert.deepEqual(await h.mailsTo(refused), []);
        }
        const sub = address('ana', 'eu.lab.example');
        assert.equal((await boxes.askCode(boxId, sub)).status, 200, 'a subdomain');
        assert.equal((await boxes.askCode(boxId, address('ANA', 'LAB.example'))).status, 200, 'compared in lowercase');
        expectProblem(await boxes.askCode(boxId, address('ana'), 'Ana\u202eLab'), 400, 'validation_failed', 'a bidi override in the name');
        expectProblem(await boxes.askCode(boxId, address('ana'), '   '), 400, 'validation_failed', 'a blank name');

        // The code mail: the box's name and the code; no link, no id.
        const ana = address('ana');
        const asked = await boxes.askCode(boxId, ana);
        assert.equal(asked.status, 200);
        assert.equal(asked.body.codeExpiresAt, h.clock.now() + 10 * MINUTE);
        const [mail] = (await outbox()).filter((m) => m.to === ana);
        assert.match(mail!.subject, /Lab results/);
        assert.match(mail!.body, /Your code is: \d{8}/);
        assert.ok(!mail!.body.includes(boxId) && !/https?:/.test(mail!.body), 'no link and no box id in the code mail');

        // Wrong codes: each costs an attempt; the fifth locks the code, and then even the right one is refused.
        const code = await boxes.lastCode(ana);
        const wrong = code === '00000000' ? '11111111' : '00000000';
        const first = await boxes.verify(boxId, asked.body.openingToken, wrong);
        expectProblem(first, 400, 'code_invalid');
        assert.equal(first.body.attemptsLeft, 4);
        for (let i = 0; i < 3; i++) expectProblem(await boxes.verify(boxId, asked.body.openingToken, wrong), 400, 'code_invalid');
        expectProblem(await boxes.verify(boxId, asked.body.openingToken, wrong), 429, 'too_many_attempts', 'the fifth');
        expectProblem(await boxes.verify(boxId, asked.body.openingToken, code), 429, 'too_many_attempts', 'the right code, too late');

        // An expired code.
        const late = await boxes.askCode(boxId, ana);
        h.clock.advance(10 * MINUTE);
        expectProblem(await boxes.verify(boxId, late.body.openingToken, await boxes.lastCode(ana)), 400, 'code_expired');

        // Unknown openings, and an opening of another box.
        expectProblem(await boxes.verify(boxId, newToken(), '12345678'), 400, 'challenge_invalid');
        const elsewhere = await boxes.create(alice);
        const fresh = await boxes.askCode(boxId, ana);
        const right = await boxes.lastCode(ana);
        expectProblem(await boxes.verify(elsewhere.box.boxId, fresh.body.openingToken, right), 400, 'challenge_invalid', 'another box');

        const ok = await boxes.verify(boxId, fresh.body.openingToken, right);
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.equal(ok.headers.get('cache-control'), 'no-store');
        assert.equal(ok.body.expiresAt, h.clock.now() + DAY);
        const token = await h.db.selectFrom('deposit_tokens').selectAll().where('box_id', '=', boxId).executeTakeFirstOrThrow();
        assert.deepEqual([token.email, token.name, token.transfer_id, token.spent_at], [ana, 'Ana Lab', null, null]);
        assert.notDeepEqual(Buffer.from(token.token_hash).toString('base64url'), ok.body.depositToken, 'stored hashed');
        expectProblem(await boxes.verify(boxId, fresh.body.openingToken, right), 400, 'challenge_invalid', 'a code is used once');

        // Rate limit: five codes per address and hour.
        const rita = address('rita');
        for (let i = 0; i < 5; i++) assert.equal((await boxes.askCode(boxId, rita)).status, 200);
        const limited = await boxes.askCode(boxId, rita);
        expectProblem(limited, 429, 'rate_limited');
        assert.ok(limited.body.retryAfter > 0 && limited.body.retryAfter <= 3600);
        assert.equal((await h.codesFor(rita)).length, 5);
      });

      it('takes a deposit: created, resumed, finalized with a receipt; mails the depositor and the owner; the owner opens it to the depositor\'s CK', async () => {
        const made = await boxes.create(alice);
        const boxId = made.box.boxId;
        const ana = address('ana');
        const token = await boxes.token(boxId, ana, 'Ana Lab');

        const created = await boxes.createDeposit(token, boxId, [1000, 20]);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const transferId = created.body.transferId;
        assert.equal(created.body.dataClass, 'standard');
        assert.equal(created.body.expiresInSeconds, 7 * 86_400);
        assert.equal(created.body.maxDownloads, 100);
        assert.deepEqual(created.body.files.map((f: { ciphertextSize: number }) => f.ciphertextSize), [ciphertextSize(1000), ciphertextSize(20)]);
        const row = await transfer(transferId);
        assert.deepEqual(
          [row.sender_id, row.box_id, row.depositor_email, row.depositor_name, row.state, row.link_slot_id],
          [null, boxId, ana, 'Ana Lab', 'uploading', null],
        );
        assert.deepEqual((await h.db.selectFrom('recipients').select('email').where('transfer_id', '=', transferId).execute()).map((r) => r.email), [alice.email]);
        assert.equal((await boxRow(boxId)).deposits_used, 1, 'counted at creation');
        expectProblem(await boxes.createDeposit(token, boxId, [10]), 409, 'conflict', 'one deposit per token');
        assert.deepEqual(await audited('deposit.created', transferId), [{ actor: null, detail: { boxId, depositor: ana, files: 2, bytes: ciphertextSize(1000) + ciphertextSize(20), dataClass: 'standard' } }]);

        // Upload the first file, resume from the status, upload the second: parts are checked as for a transfer.
        const files = created.body.files.map((f: { ciphertextSize: number }) => randomBytes(f.ciphertextSize));
        const [f0, f1] = created.body.files as { fileId: string; ciphertextSize: number }[];
        assert.equal((await boxes.putPart(token, transferId, f0!.fileId, 0, files[0])).status, 200);
        expectProblem(await boxes.putPart(token, transferId, f1!.fileId, 0, files[1], sha256Of(files[0])), 422, 'part_hash_mismatch');
        expectProblem(await boxes.putPart(token, transferId, f1!.fileId, 0, Buffer.concat([files[1], Buffer.alloc(1)])), 413, 'payload_too_large');
        expectProblem(await boxes.putPart(token, transferId, f1!.fileId, 1, files[1]), 400, 'part_out_of_range');
        const status = await h.request('GET', `/deposits/${transferId}`, { token });
        assert.equal(status.status, 200);
        assert.equal(status.headers.get('cache-control'), 'no-store');
        assert.deepEqual(status.body, {
          transferId, state: 'uploading', serverShare: created.body.serverShare,
          files: [
            { fileId: f0!.fileId, ciphertextSize: f0!.ciphertextSize, partCount: 1, received: [{ index: 0, sha256: sha256Of(files[0]) }] },
            { fileId: f1!.fileId, ciphertextSize: f1!.ciphertextSize, partCount: 1, received: [] },
          ],
        });
        const clientKey = newSecret<'ClientKey'>();
        const body = await boxes.finalizeBody(made, transferId, clientKey);
        expectProblem(await boxes.finalize(token, transferId, body), 409, 'upload_incomplete');
        assert.equal((await boxes.putPart(token, transferId, f1!.fileId, 0, files[1])).status, 200);

        const finalized = await boxes.finalize(token, transferId, body);
        assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
        const now = h.clock.now();
        const receipt = {
          transferId, boxId, boxName: 'Lab results', depositorEmail: ana, depositedAt: now, expiresAt: now + 7 * DAY,
          files: [
            { fileId: f0!.fileId, ciphertextSize: f0!.ciphertextSize, partSha256: [sha256Of(files[0])] },
            { fileId: f1!.fileId, ciphertextSize: f1!.ciphertextSize, partSha256: [sha256Of(files[1])] },
          ],
          manifestSha256: createHash('sha256').update(Buffer.from(body.manifest, 'base64url')).digest('base64url'),
        };
        assert.deepEqual(finalized.body, receipt);
        const ready = await transfer(transferId);
        assert.deepEqual([ready.state, ready.box_slot_id, ready.box_slot_epoch, ready.box_slot?.length, ready.expires_at], ['ready', body.boxSlot.slotId, 1, 80, now + 7 * DAY]);
        assert.deepEqual(await audited('deposit.finalized', transferId), [{ actor: null, detail: { boxId, depositor: ana, epoch: 1, expiresAt: now + 7 * DAY } }]);
        // Finalize spent the token: it does nothing more.
        expectProblem(await h.request('GET', `/deposits/${transferId}`, { token }), 401, 'deposit_token_invalid');
        expectProblem(await boxes.finalize(token, transferId, body), 401, 'deposit_token_invalid');
        expectProblem(await boxes.createDeposit(token, boxId, [10]), 401, 'deposit_token_invalid');

        // The receipt mail to the depositor, the notice to the owner: no name of a file, no secret, no link to the files.
        const mails = (await outbox()).filter((m) => m.to === ana || (m.to === alice.email && m.body.includes(ana)));
        const receiptMail = mails.find((m) => m.to === ana && m.subject.includes('delivered'));
        assert.ok(receiptMail, 'a receipt mail');
        assert.match(receiptMail.subject, /Lab results/);
        for (const fact of [transferId, boxId, '1,000 bytes', '20 bytes', Buffer.from(sha256Of(files[0]), 'base64url').toString('hex'), Buffer.from(receipt.manifestSha256, 'base64url').toString('hex')]) {
          assert.ok(receiptMail.body.includes(fact), `the receipt names ${fact}`);
        }
        const notice = mails.find((m) => m.to === alice.email);
        assert.ok(notice, 'a notice to the owner');
        assert.match(notice.subject, /2 files deposited in your drop box "Lab results"/);
        assert.match(notice.body, /not verified/);
        assert.ok(notice.body.includes(ana) && notice.body.includes('"Ana Lab"') && notice.body.includes(`${h.server.url}/inbox`));
        for (const mail of [receiptMail, notice]) {
          for (const secret of [toBase64Url(clientKey), created.body.serverShare, body.boxSlot.wrapped, body.manifest.slice(0, 40), token]) {
            assert.ok(!mail.body.includes(secret) && !mail.subject.includes(secret), 'no secret in a mail');
          }
        }

        // The owner's inbox lists it as a deposit; a member who owns no box sees nothing; the owner's sent list neither.
        const entry = {
          transferId, kind: 'deposit', sender: null, deposit: { boxId, boxName: 'Lab results', depositorEmail: ana, depositorName: 'Ana Lab' },
          state: 'ready', closeReason: null, createdAt: ready.created_at, expiresAt: now + 7 * DAY, fileCount: 2, contentBytes: 1020, downloadedAt: null,
          team: null,
        };
        assert.deepEqual((await inbox(alice)).body.transfers.find((e: { transferId: string }) => e.transferId === transferId), entry);
        assert.ok(!(await inbox(bob)).body.transfers.some((e: { transferId: string }) => e.transferId === transferId));
        assert.ok(!(await h.request('GET', '/transfers', { token: alice.token })).body.transfers.some((t: { transferId: string }) => t.transferId === transferId));
        expectProblem(await h.request('GET', `/transfers/${transferId}`, { token: alice.token }), 404, 'not_found');
        const summary = (await h.request('GET', '/boxes', { token: alice.token })).body.boxes.find((b: { boxId: string }) => b.boxId === boxId);
        assert.equal(summary.depositsUsed, 1);

        // Only an owner opens it, with open-deposit; /open says where to go (to the owner only); no link opens it.
        const unknown = await boxes.openDeposit(alice, newId());
        expectProblem(unknown, 404, 'not_found');
        assert.deepEqual((await boxes.openDeposit(bob, transferId)).body, unknown.body, 'a stranger: like an unknown id');
        expectProblem(await h.request('POST', `/inbox/${transferId}/open-deposit`, { body: {} }), 401, 'unauthenticated');
        expectProblem(await h.request('POST', `/inbox/${transferId}/open-deposit`, { token: alice.token, body: { now: true } }), 400, 'validation_failed');
        const viaOpen = await members.open(alice, transferId);
        expectProblem(viaOpen, 404, 'not_found');
        assert.match(viaOpen.body.detail, /open-deposit/);
        assert.equal((await members.open(bob, transferId)).body.detail, undefined);
        expectProblem(await h.request('POST', `/open/${transferId}/challenge`, { body: {} }), 410, 'link_unavailable');
        assert.equal(await h.downloadsUsed(transferId), 0);

        const opened = await boxes.openDeposit(alice, transferId);
        assert.equal(opened.status, 200, JSON.stringify(opened.body));
        assert.equal(opened.headers.get('cache-control'), 'no-store');
        assert.deepEqual(await boxes.openedKey(alice, transferId, opened), Buffer.from(clientKey), 'the owner opens the box slot to the depositor\'s CK');
        assert.deepEqual(opened.body.boxSlot, body.boxSlot);
        assert.deepEqual(opened.body.depositor, { email: ana, name: 'Ana Lab', verified: 'email' });
        assert.equal(opened.body.boxId, boxId);
        assert.equal(opened.body.manifest, body.manifest);
        assert.equal(opened.body.serverShare, created.body.serverShare);
        assert.deepEqual(opened.body.files, created.body.files);
        assert.equal(opened.body.transferExpiresAt, now + 7 * DAY);
        assert.equal(opened.body.grantExpiresAt, now + 30 * MINUTE);
        assert.equal(await h.downloadsUsed(transferId), 1, 'a first open consumes one download');

        // The grant downloads through the download routes; reopening while it lives consumes nothing.
        const got = await part(transferId, f0!.fileId, opened.body.grantToken);
        assert.equal(got.status, 200);
        assert.deepEqual(got.body, files[0]);
        h.clock.advance(1000);
        const reopened = await boxes.openDeposit(alice, transferId);
        assert.equal(reopened.status, 200);
        assert.equal(await h.downloadsUsed(transferId), 1, 'a reopen with a live grant consumes nothing');
        expectProblem(await part(transferId, f0!.fileId, opened.body.grantToken), 401, 'grant_invalid', 'the replaced grant');
        expectProblem(await h.request('GET', `/download/${transferId}`, { headers: { authorization: `Bearer ${reopened.body.grantToken}` } }), 401, 'grant_invalid', 'no link slot to resume with');
        const done = await h.request('POST', `/download/${transferId}/complete`, { headers: { authorization: `Bearer ${reopened.body.grantToken}` } });
        assert.equal(done.status, 204);
        assert.equal((await inbox(alice)).body.transfers.find((e: { transferId: string }) => e.transferId === transferId).downloadedAt, h.clock.now());
        assert.equal((await boxes.openDeposit(alice, transferId)).status, 200);
        assert.equal(await h.downloadsUsed(transferId), 2, 'after a completed download, opening again is a new download');
      });

      it('gives a deposit token nothing but its own deposit: no inbox, no list, no download, no other deposit', async () => {
        const made = await boxes.create(alice);
        const finished = await boxes.deposit(made, address('ana'));
        const token = await boxes.token(made.box.boxId, address('olga'));
        const pending = await boxes.upload(token, made, [10]);
        const other = await boxes.create(alice);
        const fileId = finished.created.files[0]!.fileId;

        expectProblem(await boxes.openDeposit(alice, pending.transferId), 404, 'not_found', 'not finalized: nobody\'s to open yet');
        expectProblem(await h.request('GET', '/inbox', { token }), 401, 'unauthenticated');
        expectProblem(await h.request('POST', `/inbox/${finished.transferId}/open-deposit`, { token, body: {} }), 401, 'unauthenticated');
        expectProblem(await h.request('POST', `/inbox/${pending.transferId}/open-deposit`, { token, body: {} }), 401, 'unauthenticated');
        expectProblem(await h.request('GET', '/transfers', { token }), 401, 'unauthenticated');
        expectProblem(await h.request('GET', '/boxes', { token }), 401, 'unauthenticated');
        expectProblem(await h.request('GET', `/boxes/${made.box.boxId}/keys`, { token }), 401, 'unauthenticated');
        expectProblem(await h.request('GET', `/download/${finished.transferId}/files/${fileId}/parts/0`, { token }), 401, 'grant_invalid');
        expectProblem(await h.request('GET', `/download/${finished.transferId}`, { token }), 401, 'grant_invalid');
        expectProblem(await h.request('GET', `/deposits/${finished.transferId}`, { token }), 404, 'not_found', 'another deposit');
        expectProblem(await boxes.putPart(token, finished.transferId, fileId, 0, finished.files[0]!), 404, 'not_found', 'a part of another deposit');
        expectProblem(await boxes.finalize(token, finished.transferId, finished.body), 404, 'not_found', 'finalizing another deposit');
        expectProblem(await boxes.createDeposit(token, other.box.boxId, [10]), 401, 'deposit_token_invalid', 'another box');
        expectProblem(await h.request('GET', `/deposits/${pending.transferId}`), 401, 'deposit_token_invalid', 'no token');
        expectProblem(await h.request('GET', `/deposits/${pending.transferId}`, { token: newToken() }), 401, 'deposit_token_invalid', 'an unknown token');
        expectProblem(await boxes.createDeposit(newToken(), made.box.boxId, [10]), 401, 'deposit_token_invalid');
        // A member's own API token is no deposit token either.
        expectProblem(await h.request('GET', `/deposits/${pending.transferId}`, { token: alice.token }), 401, 'deposit_token_invalid');
        assert.equal((await h.request('GET', `/deposits/${pending.transferId}`, { token })).status, 200, 'its own deposit');

        // A token expires 24 hours after the code was checked.
        h.clock.advance(DAY);
        expectProblem(await h.request('GET', `/deposits/${pending.transferId}`, { token }), 401, 'deposit_token_invalid', 'expired');
      });

      it('refuses an unsound box slot, and keeps the token for a sound one (P-256 box, P-256 owner)', async () => {
        const made = await boxes.create(carol, { kem: 'P-256', sig: 'ECDSA-P256' });
        const token = await boxes.token(made.box.boxId, address('ana'));
        const uploaded = await boxes.upload(token, made, [500]);
        const body = await boxes.finalizeBody(made, uploaded.transferId, uploaded.clientKey);
        assert.equal(Buffer.from(body.boxSlot.wrapped, 'base64url').length, 113);
        const cases: [string, unknown, number, string][] = [
          ['the key of an epoch the box does not have', { ...body, boxSlot: { ...body.boxSlot, epoch: 2 } }, 409, 'box_key_changed'],
          ['80 bytes for a P-256 box key', { ...body, boxSlot: { ...body.boxSlot, wrapped: toBase64Url(randomBytes(80)) } }, 400, 'box_slot_invalid'],
          ['a slot id that is not canonical', { ...body, boxSlot: { ...body.boxSlot, slotId: nonCanonical(newId()) } }, 400, 'box_slot_invalid'],
          ['a slot that is not canonical base64url', { ...body, boxSlot: { ...body.boxSlot, wrapped: nonCanonical(body.boxSlot.wrapped) } }, 400, 'validation_failed'],
          ['an empty manifest', { ...body, manifest: '' }, 400, 'validation_failed'],
          ['a manifest signature (a deposit has none)', { ...body, manifestSignature: { signerFingerprint: toBase64Url(randomBytes(32)), signature: toBase64Url(randomBytes(64)) } }, 400, 'validation_failed'],
          ['no box slot', { manifest: body.manifest }, 400, 'validation_failed'],
        ];
        for (const [name, wrong, status, code] of cases) expectProblem(await boxes.finalize(token, uploaded.transferId, wrong), status, code, name);
        assert.equal((await transfer(uploaded.transferId)).state, 'uploading');

        const finalized = await boxes.finalize(token, uploaded.transferId, body);
        assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
        const opened = await boxes.openDeposit(carol, uploaded.transferId);
        assert.equal(opened.status, 200);
        assert.deepEqual(await boxes.openedKey(carol, uploaded.transferId, opened), Buffer.from(uploaded.clientKey));
        expectProblem(await boxes.openDeposit(alice, uploaded.transferId), 404, 'not_found', 'alice owns other boxes, not this one');
      });

      it('counts deposits atomically: two depositors racing for the last one, one gets it', async () => {
        const made = await boxes.create(alice, { maxDeposits: 2 });
        const boxId = made.box.boxId;
        await boxes.deposit(made, address('first'));
        const [t2, t3] = [await boxes.token(boxId, address('second')), await boxes.token(boxId, address('third'))];
        const fourth = address('fourth');
        const pendingCode = await boxes.askCode(boxId, fourth);
        // What the depositors' clients verified before their deposits were counted.
        const key = await boxes.boxKey(boxId, made.fragment);
        const replies = await Promise.all([boxes.createDeposit(t2, boxId, [10]), boxes.createDeposit(t3, boxId, [10])]);
        const won = replies.filter((r) => r.status === 201);
        const lost = replies.filter((r) => r.status !== 201);
        assert.equal(won.length, 1, JSON.stringify(replies.map((r) => r.body)));
        expectProblem(lost[0]!, 410, 'box_full');
        assert.equal((await boxRow(boxId)).deposits_used, 2);
        assert.equal((await h.db.selectFrom('transfers').select('id').where('box_id', '=', boxId).execute()).length, 2, 'the loser left no transfer');

        expectProblem(await h.request('GET', `/boxes/${boxId}/public`), 410, 'box_full');
        expectProblem(await boxes.askCode(boxId, address('fifth')), 410, 'box_full');
        expectProblem(await boxes.verify(boxId, pendingCode.body.openingToken, await boxes.lastCode(fourth)), 410, 'box_full');
        // The winner's deposit holds its count: a full box does not stop it.
        const winner = won[0]!.body;
        const winnerToken = replies[0]!.status === 201 ? t2 : t3;
        const bytes = randomBytes(winner.files[0].ciphertextSize);
        assert.equal((await boxes.putPart(winnerToken, winner.transferId, winner.files[0].fileId, 0, bytes)).status, 200);
        assert.equal((await boxes.finalize(winnerToken, winner.transferId, await boxes.finalizeBody(made, winner.transferId, newSecret<'ClientKey'>(), { key }))).status, 200);
      });

      it('lets a depositor cancel their unfinished deposit: abandoned at once, token spent, its place back after the purge', async () => {
        const made = await boxes.create(alice, { maxDeposits: 1 });
        const boxId = made.box.boxId;
        const stopper = address('stopper');
        const token = await boxes.token(boxId, stopper);
        const started = await boxes.upload(token, made, [1000]);
        assert.equal((await boxRow(boxId)).deposits_used, 1);
        expectProblem(await boxes.askCode(boxId, address('next')), 410, 'box_full');

        expectProblem(await h.request('POST', `/deposits/${started.transferId}/cancel`, { body: {} }), 401, 'deposit_token_invalid');
        expectProblem(await h.request('POST', `/deposits/${newId()}/cancel`, { token, body: {} }), 404, 'not_found');
        expectProblem(await h.request('POST', `/deposits/${started.transferId}/cancel`, { token, body: { x: 1 } }), 400, 'validation_failed');
        const cancelled = await h.request('POST', `/deposits/${started.transferId}/cancel`, { token, body: {} });
        assert.equal(cancelled.status, 204);
        const row = await h.db.selectFrom('transfers').select(['state', 'close_reason']).where('id', '=', started.transferId).executeTakeFirstOrThrow();
        assert.deepEqual(row, { state: 'closed', close_reason: 'abandoned' });
        expectProblem(await h.request('POST', `/deposits/${started.transferId}/cancel`, { token, body: {} }), 401, 'deposit_token_invalid', 'the token is spent');
        expectProblem(await boxes.putPart(token, started.transferId, started.created.files[0]!.fileId, 0, started.files[0]!), 401, 'deposit_token_invalid');
        assert.deepEqual(await audited('deposit.cancelled', started.transferId), [{ actor: null, detail: { boxId, depositor: stopper } }]);

        // The purge deletes what arrived and gives the place back: someone else deposits.
        const purged = await h.domain.purge.runOnce();
        assert.ok(purged.purged.includes(started.transferId));
        assert.equal((await boxRow(boxId)).deposits_used, 0);
        const next = await boxes.token(boxId, address('next'));
        const key = await boxes.boxKey(boxId, made.fragment); // as the next depositor's client checked it before uploading
        const uploaded = await boxes.upload(next, made, [1000]);
        assert.equal((await boxes.finalize(next, uploaded.transferId, await boxes.finalizeBody(made, uploaded.transferId, uploaded.clientKey, { key }))).status, 200);
        assert.equal((await boxRow(boxId)).deposits_used, 1);
      });

      it('holds a deposit to the box\'s size, the server\'s file rules and the owner\'s quota, counting nothing it refused', async () => {
        const made = await boxes.create(alice, { maxDepositBytes: 1000 });
        const boxId = made.box.boxId;
        const token = await boxes.token(boxId, address('ana'));
        const tooLarge = await boxes.createDeposit(token, boxId, [600, 401]);
        expectProblem(tooLarge, 413, 'deposit_too_large');
        assert.match(tooLarge.body.detail, /1001 bytes/);
        expectProblem(await boxes.createDeposit(token, boxId, [1, 1, 1, 1, 1, 1]), 400, 'too_many_files', 'six files, five allowed');
        expectProblem(await h.request('POST', `/boxes/${boxId}/deposits`, { token, body: { files: [{ ciphertextSize: 16_460 }] } }), 400, 'validation_failed', 'no encrypted file has that size');
        expectProblem(await h.request('POST', `/boxes/${boxId}/deposits`, { token, body: { files: [] } }), 400, 'validation_failed', 'no file');
        assert.equal((await boxRow(boxId)).deposits_used, 0, 'refusals count nothing');
        assert.equal((await boxes.createDeposit(token, boxId, [600, 400])).status, 201, 'exactly the limit');
        assert.equal((await boxRow(boxId)).deposits_used, 1);

        // Deposits count against the quota of the box's creator, and with the creator's own transfers.
        const dave = await members.keyedMember();
        const quota = ciphertextSize(1000) + ciphertextSize(500) - 1;
        await h.db.updateTable('users').set({ quota_bytes: quota }).where('id', '=', dave.id).execute();
        const daves = await boxes.create(dave);
        await boxes.deposit(daves, address('ana'), [1000]);
        const over = await boxes.createDeposit(await boxes.token(daves.box.boxId, address('bea')), daves.box.boxId, [500]);
        expectProblem(over, 413, 'box_quota_exceeded');
        assert.equal((await boxRow(daves.box.boxId)).deposits_used, 1, 'the refused deposit was not counted');
        expectProblem(await h.create(dave, [500], { recipients: ['r@lab.example'] }), 413, 'quota_exceeded', 'the deposit fills the creator\'s own quota');
        assert.equal((await h.create(dave, [400], { recipients: ['r@lab.example'] })).status, 201);
      });

      it('closes a box: no more deposits (an upload under way is abandoned), finished deposits live on', async () => {
        const made = await boxes.create(alice);
        const boxId = made.box.boxId;
        const finished = await boxes.deposit(made, address('ana'));
        const uploadToken = await boxes.token(boxId, address('bea'));
        const pending = await boxes.upload(uploadToken, made, [10]);
        const pendingBody = await boxes.finalizeBody(made, pending.transferId, pending.clientKey);
        const unusedToken = await boxes.token(boxId, address('cleo'));
        const dora = address('dora');
        const pendingCode = await boxes.askCode(boxId, dora);

        expectProblem(await h.request('POST', `/boxes/${boxId}/close`, { token: bob.token, body: {} }), 404, 'not_found');
        expectProblem(await h.request('POST', `/boxes/${boxId}/close`, { body: {} }), 401, 'unauthenticated');
        expectProblem(await h.request('POST', `/boxes/${boxId}/close`, { token: alice.token, body: { now: 1 } }), 400, 'validation_failed');
        const closed = await h.request('POST', `/boxes/${boxId}/close`, { token: alice.token, body: {} });
        assert.equal(closed.status, 200, JSON.stringify(closed.body));
        assert.equal(closed.body.state, 'closed');
        assert.equal((await h.request('POST', `/boxes/${boxId}/close`, { token: alice.token })).status, 200, 'closing twice is no error');
        assert.deepEqual(await audited('box.closed', boxId), [{ actor: alice.id, detail: { abandonedUploads: 1 } }]);
        assert.deepEqual([(await boxRow(boxId)).closed_at, (await transfer(pending.transferId)).close_reason], [h.clock.now(), 'abandoned']);

        expectProblem(await h.request('GET', `/boxes/${boxId}/public`), 410, 'box_closed');
        expectProblem(await boxes.askCode(boxId, address('eve')), 410, 'box_closed');
        expectProblem(await boxes.verify(boxId, pendingCode.body.openingToken, await boxes.lastCode(dora)), 410, 'box_closed');
        expectProblem(await boxes.createDeposit(unusedToken, boxId, [10]), 410, 'box_closed');
        const f = pending.created.files[0]!;
        expectProblem(await boxes.putPart(uploadToken, pending.transferId, f.fileId, 0, pending.files[0]!), 410, 'box_closed');
        expectProblem(await h.request('GET', `/deposits/${pending.transferId}`, { token: uploadToken }), 410, 'box_closed');
        expectProblem(await boxes.finalize(uploadToken, pending.transferId, pendingBody), 410, 'box_closed');

        // The finished deposit: still in the inbox, still opens.
        const opened = await boxes.openDeposit(alice, finished.transferId);
        assert.equal(opened.status, 200);
        assert.deepEqual(await boxes.openedKey(alice, finished.transferId, opened), Buffer.from(finished.clientKey));
        assert.equal((await h.request('GET', '/boxes', { token: alice.token })).body.boxes.find((b: { boxId: string }) => b.boxId === boxId).state, 'closed');
      });

      it('answers 410 box_expired on every depositor route once the box expired; its deposits live on under their class', async () => {
        const made = await boxes.create(alice, { expiresInSeconds: 3600 });
        const boxId = made.box.boxId;
        const finished = await boxes.deposit(made, address('ana'));
        const unusedToken = await boxes.token(boxId, address('bea'));
        const uploadToken = await boxes.token(boxId, address('cleo'));
        const pending = await boxes.upload(uploadToken, made, [10]);
        const body = await boxes.finalizeBody(made, pending.transferId, pending.clientKey);
        const dora = address('dora');
        const pendingCode = await boxes.askCode(boxId, dora);
        h.clock.advance(HOUR);

        expectProblem(await h.request('GET', `/boxes/${boxId}/public`), 410, 'box_expired');
        expectProblem(await boxes.askCode(boxId, address('eve')), 410, 'box_expired');
        expectProblem(await boxes.verify(boxId, pendingCode.body.openingToken, await boxes.lastCode(dora)), 410, 'box_expired');
        expectProblem(await boxes.createDeposit(unusedToken, boxId, [10]), 410, 'box_expired');
        expectProblem(await h.request('GET', `/deposits/${pending.transferId}`, { token: uploadToken }), 410, 'box_expired');
        expectProblem(await boxes.putPart(uploadToken, pending.transferId, pending.created.files[0]!.fileId, 0, pending.files[0]!), 410, 'box_expired');
        expectProblem(await boxes.finalize(uploadToken, pending.transferId, body), 410, 'box_expired');

        const opened = await boxes.openDeposit(alice, finished.transferId);
        assert.equal(opened.status, 200, 'a deposit outlives its box');
        assert.deepEqual(await boxes.openedKey(alice, finished.transferId, opened), Buffer.from(finished.clientKey));
      });

      it('tells the owners, not the depositor: no download notice, an expiry warning for an unopened deposit', async () => {
        const made = await boxes.create(alice, { name: 'Warnings' });
        const opened = await boxes.deposit(made, address('ana'));
        const unopened = await boxes.deposit(made, address('bea'));
        const grant = await boxes.openDeposit(alice, opened.transferId);
        assert.equal((await h.request('POST', `/download/${opened.transferId}/complete`, { headers: { authorization: `Bearer ${grant.body.grantToken}` } })).status, 204);
        const job = new NotifyJob({
          handle: h.server.ctx.database, mailer: h.server.ctx.mailer, clock: h.clock, logger: h.server.ctx.logger, intervalMs: DAY, expiryWarningMs: DAY,
        });
        const before = new Set((await outbox()).map((m) => m.file));
        await job.runOnce();
        const owner = await h.db.selectFrom('recipients').select('download_notified_at').where('transfer_id', '=', opened.transferId).executeTakeFirstOrThrow();
        assert.equal(owner.download_notified_at, h.clock.now(), 'marked, not mailed: the owner is the one who downloaded');
        assert.ok(!(await outbox()).some((m) => !before.has(m.file) && m.body.includes(opened.transferId)));

        h.clock.advance(7 * DAY - 12 * HOUR);
        await job.runOnce();
        const warnings = (await outbox()).filter((m) => !before.has(m.file) && m.body.includes(unopened.transferId));
        assert.deepEqual(warnings.map((m) => m.to), [alice.email], 'the owner, not the depositor');
        assert.match(warnings[0]!.subject, /a deposit in your drop box "Warnings" expires in about 12 hours/);
        assert.ok(warnings[0]!.body.includes(unopened.receipt.depositorEmail));
        assert.ok(!(await outbox()).some((m) => !before.has(m.file) && m.body.includes(opened.transferId)), 'the downloaded one is not warned about');
      });

      it('purges deposits (no box slot left, the owners get the record), gives back an unfinished deposit\'s count, and then the keys of an expired box', async () => {
        // A: expires in an hour, holds one unfinished deposit. B: full with one unfinished deposit. C: expires in an
        // hour, holds one finished deposit (7 days, its class's default).
        const a = await boxes.create(alice, { name: 'Box A', expiresInSeconds: 3600 });
        const b = await boxes.create(alice, { name: 'Box B', maxDeposits: 1 });
        const c = await boxes.create(alice, { name: 'Box C', expiresInSeconds: 3600 });
        const unfinishedA = await boxes.upload(await boxes.token(a.box.boxId, address('ana')), a, [10]);
        const unfinishedB = await boxes.upload(await boxes.token(b.box.boxId, address('bea')), b, [10]);
        const finished = await boxes.deposit(c, address('cleo'), [2000]);
        expectProblem(await h.request('GET', `/boxes/${b.box.boxId}/public`), 410, 'box_full');
        const job = new NotifyJob({
          handle: h.server.ctx.database, mailer: h.server.ctx.mailer, clock: h.clock, logger: h.server.ctx.logger, intervalMs: DAY, expiryWarningMs: null,
        });
        await job.runOnce();
        const before = new Set((await outbox()).map((m) => m.file));

        // An hour later: A's upload can never finish (abandoned at once), A has nothing left: its keys go.
        h.clock.advance(HOUR);
        const first = await h.domain.purge.runOnce();
        assert.ok(first.purged.includes(unfinishedA.transferId));
        assert.ok(first.boxesPurged.includes(a.box.boxId));
        assert.ok(!first.boxesPurged.includes(c.box.boxId), 'C still holds a live deposit');
        assert.equal((await transfer(unfinishedA.transferId)).close_reason, 'abandoned');
        for (const table of ['drop_box_keys', 'drop_box_owner_keys', 'deposit_tokens', 'box_openings'] as const) {
          assert.equal((await h.db.selectFrom(table).select('box_id').where('box_id', '=', a.box.boxId).execute()).length, 0, table);
        }
        assert.equal((await boxRow(a.box.boxId)).purged_at, h.clock.now());
        assert.deepEqual(await audited('box.purged', a.box.boxId), [{ actor: 'system', detail: null }]);
        expectProblem(await h.request('GET', `/boxes/${a.box.boxId}/keys`, { token: alice.token }), 404, 'not_found');
        expectProblem(await h.request('GET', `/boxes/${a.box.boxId}/public`), 410, 'box_expired');
        assert.ok(!(await h.request('GET', '/boxes', { token: alice.token })).body.boxes.some((x: { boxId: string }) => x.boxId === a.box.boxId));
        assert.equal((await boxes.openDeposit(alice, finished.transferId)).status, 200, 'C\'s keys are kept while its deposit lives');

        // A day later: B's upload is abandoned and purged; its count comes back.
        h.clock.advance(DAY);
        const second = await h.domain.purge.runOnce();
        assert.ok(second.purged.includes(unfinishedB.transferId));
        assert.equal((await boxRow(b.box.boxId)).deposits_used, 0);
        assert.equal((await h.request('GET', `/boxes/${b.box.boxId}/public`)).status, 200, 'room again');
        expectProblem(await boxes.openDeposit(alice, unfinishedB.transferId), 404, 'not_found', 'never finalized: never anyone\'s');

        // A week later: the finished deposit expires and is purged; then C has nothing left.
        h.clock.advance(7 * DAY);
        expectProblem(await boxes.openDeposit(alice, finished.transferId), 410, 'transfer_expired', 'expired, not purged yet');
        const third = await h.domain.purge.runOnce();
        assert.ok(third.purged.includes(finished.transferId));
        assert.ok(third.boxesPurged.includes(c.box.boxId));
        const purged = await transfer(finished.transferId);
        assert.deepEqual([purged.state, purged.ss_enc, purged.box_slot, purged.manifest], ['purged', null, null, null]);
        assert.deepEqual([purged.box_id, purged.box_slot_id, purged.depositor_email], [c.box.boxId, finished.body.boxSlot.slotId, finished.receipt.depositorEmail], 'the tombstone says which box and from whom');
        const record = await h.db.selectFrom('deletion_records').selectAll().where('transfer_id', '=', finished.transferId).executeTakeFirstOrThrow();
        assert.deepEqual([record.sender_id, record.reason, record.blob_count], [null, 'expired', 1]);
        expectProblem(await boxes.openDeposit(alice, finished.transferId), 404, 'not_found');
        assert.ok(!(await inbox(alice)).body.transfers.some((e: { transferId: string }) => e.transferId === finished.transferId));
        assert.deepEqual(await h.blobKeys(finished.transferId), []);

        // The owner gets each deletion record (the depositor, nothing).
        await job.runOnce();
        const mails = (await outbox()).filter((m) => !before.has(m.file));
        for (const [deposit, box, reason] of [[finished, 'Box C', /expired/], [unfinishedA, 'Box A', /never finished/], [unfinishedB, 'Box B', /never finished/]] as const) {
          const told = mails.filter((m) => m.body.includes(deposit.transferId));
          assert.deepEqual(told.map((m) => m.to), [alice.email], `${box}: the owner only`);
          assert.match(told[0]!.subject, new RegExp(`deposit of .* in your drop box "${box}" was deleted`));
          assert.match(told[0]!.body, reason);
        }
        assert.ok(!mails.some((m) => m.to === finished.receipt.depositorEmail));
      });
    });
  }
});
