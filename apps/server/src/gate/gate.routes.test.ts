// The gate over real HTTP on SQLite and PostgreSQL: link proof, codes by e-mail (outbox), decoys, limits, grants.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { idFromText, newSecret, unwrapLinkSlot } from '@valise/crypto';
import { newId } from '../accounts/tokens.js';
import { availableDialects } from '../testing/databases.js';
import { Harness, type Member } from '../transfers/transfer-test-kit.js';

describe('the gate', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    describe(dialect, () => {
      let h: Harness;
      let alice: Member;
      before(async () => {
        h = await Harness.start({ dialect });
        alice = await h.member('alice@hospital.example');
      });
      after(async () => h?.close());

      it('challenge → wrong proof 403 → code → wrong codes 400 → locked 429 → new code → grant', async () => {
        const sent = await h.send(alice, { recipients: ['Rita@Lab.example'], maxDownloads: 2 });
        const rita = 'rita@lab.example';

        const wrong = await h.proveLink({ ...sent, linkSecret: newSecret<'LinkSecret'>() });
        const refused = await h.request('POST', `/open/${sent.transferId}/code`, { body: { ...wrong, email: rita } });
        assert.equal(refused.status, 403);
        assert.equal(refused.body.code, 'link_proof_invalid');
        const reused = await h.request('POST', `/open/${sent.transferId}/code`, { body: { ...wrong, email: rita } });
        assert.equal(reused.body.code, 'challenge_invalid', 'a challenge is single use, even after a failure');
        assert.deepEqual(await h.mailsTo(rita), []);

        const asked = await h.requestCode(sent, 'RITA@lab.example');
        assert.equal(asked.status, 200, JSON.stringify(asked.body));
        assert.deepEqual(Object.keys(asked.body).sort(), ['codeExpiresAt', 'openingToken']);
        assert.equal(asked.body.codeExpiresAt, h.clock.now() + 10 * 60_000);
        const [mail] = await h.mailsTo(rita);
        assert.ok(mail);
        assert.match(mail, /^Subject: Your Valise code for files from alice@hospital\.example\r?$/m);
        assert.match(mail, /valid for 10 minutes/);
        assert.ok(!mail.includes(sent.transferId) && !mail.includes('/t/'), 'the mail never carries the link');
        const [code] = await h.codesFor(rita);
        const badCode = code === '00000000' ? '11111111' : '00000000';

        const grantPath = `/open/${sent.transferId}/grant`;
        for (let left = 4; left >= 1; left--) {
          const r = await h.request('POST', grantPath, { body: { openingToken: asked.body.openingToken, code: badCode } });
          assert.equal(r.status, 400);
          assert.equal(r.body.code, 'code_invalid');
          assert.equal(r.body.attemptsLeft, left);
        }
        const fifth = await h.request('POST', grantPath, { body: { openingToken: asked.body.openingToken, code: badCode } });
        assert.equal(fifth.status, 429);
        assert.equal(fifth.body.code, 'too_many_attempts');
        const locked = await h.request('POST', grantPath, { body: { openingToken: asked.body.openingToken, code } });
        assert.equal(locked.status, 429, 'even the right code is refused once locked');
        assert.equal(await h.downloadsUsed(sent.transferId), 0);

        h.clock.advance(1000);
        const again = await h.requestCode(sent, rita);
        const codes = await h.codesFor(rita);
        assert.equal(codes.length, 2);
        const granted = await h.request('POST', grantPath, { body: { openingToken: again.body.openingToken, code: codes[1] } });
        assert.equal(granted.status, 200, JSON.stringify(granted.body));
        assert.equal(granted.body.serverShare, sent.created.serverShare);
        assert.equal(granted.body.linkSlot.slotId, sent.slotId);
        const ck = await unwrapLinkSlot(sent.linkSecret, idFromText(sent.transferId), idFromText(sent.slotId), Buffer.from(granted.body.linkSlot.wrapped, 'base64url'));
        assert.deepEqual(Buffer.from(ck), Buffer.from(sent.clientKey), 'the slot opens with the link secret');
        assert.deepEqual(granted.body.files, sent.created.files);
        assert.equal(granted.body.grantExpiresAt, h.clock.now() + 30 * 60_000);
        assert.equal(await h.downloadsUsed(sent.transferId), 1);

        const replay = await h.request('POST', grantPath, { body: { openingToken: again.body.openingToken, code: codes[1] } });
        assert.equal(replay.body.code, 'challenge_invalid', 'an opening gives one grant');

        const detail = await h.request('GET', `/transfers/${sent.transferId}`, { token: alice.token });
        const kinds = detail.body.events.map((e: { kind: string; recipient: string | null }) => `${e.kind}:${e.recipient ?? '-'}`);
        assert.deepEqual(kinds, [
          'link_proof_failed:-', `code_sent:${rita}`,
          `code_failed:${rita}`, `code_failed:${rita}`, `code_failed:${rita}`, `code_failed:${rita}`, `code_failed:${rita}`,
          `code_locked:${rita}`, `code_sent:${rita}`, `opened:${rita}`,
        ]);
      });

      it('answers a non-recipient with a decoy: same shape, no mail, never a grant', async () => {
        const sent = await h.send(alice, { recipients: ['rita@lab.example'] });
        const decoy = await h.requestCode(sent, 'mallory@evil.example');
        assert.equal(decoy.status, 200);
        assert.deepEqual(Object.keys(decoy.body).sort(), ['codeExpiresAt', 'openingToken']);
        assert.match(decoy.body.openingToken, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(decoy.body.codeExpiresAt, h.clock.now() + 10 * 60_000);
        assert.deepEqual(await h.mailsTo('mallory@evil.example'), []);
        const r = await h.request('POST', `/open/${sent.transferId}/grant`, { body: { openingToken: decoy.body.openingToken, code: '12345678' } });
        assert.equal(r.status, 400);
        assert.equal(r.body.code, 'code_invalid');
        assert.equal(r.body.attemptsLeft, 4);
        const detail = await h.request('GET', `/transfers/${sent.transferId}`, { token: alice.token });
        const attempt = detail.body.events.find((e: { kind: string }) => e.kind === 'code_decoy');
        assert.equal(attempt.detail, 'address: mallory@evil.example');
      });

      it('limits codes: 5 per address per hour, 30 per transfer per hour (429 with Retry-After)', async () => {
        const sent = await h.send(alice, { recipients: ['rita@lab.example'] });
        for (let i = 0; i < 5; i++) assert.equal((await h.requestCode(sent, 'rita@lab.example')).status, 200);
        const sixth = await h.requestCode(sent, 'rita@lab.example');
        assert.equal(sixth.status, 429);
        assert.equal(sixth.body.code, 'rate_limited');
        assert.equal(sixth.headers.get('retry-after'), '3600');
        h.clock.advance(60 * 60_000);
        assert.equal((await h.requestCode(sent, 'rita@lab.example')).status, 200, 'the window moved on');

        for (let i = 0; i < 29; i++) assert.equal((await h.requestCode(sent, `guess${i}@evil.example`)).status, 200);
        const thirtyFirst = await h.requestCode(sent, 'another@evil.example');
        assert.equal(thirtyFirst.status, 429);
        assert.equal(thirtyFirst.body.code, 'rate_limited');
      });

      it('expires codes after 10 minutes', async () => {
        const sent = await h.send(alice, { recipients: ['rita@lab.example'] });
        const asked = await h.requestCode(sent, 'rita@lab.example');
        const code = (await h.codesFor('rita@lab.example')).at(-1);
        h.clock.advance(10 * 60_000);
        const r = await h.request('POST', `/open/${sent.transferId}/grant`, { body: { openingToken: asked.body.openingToken, code } });
        assert.equal(r.status, 400);
        assert.equal(r.body.code, 'code_expired');
      });

      it('answers 410 link_unavailable alike for unknown and unfinished transfers', async () => {
        const unknown = await h.request('POST', `/open/${newId()}/challenge`, { body: {} });
        assert.equal(unknown.status, 410);
        assert.equal(unknown.body.code, 'link_unavailable');
        const uploading = (await h.create(alice, [10])).body;
        const early = await h.request('POST', `/open/${uploading.transferId}/challenge`);
        assert.deepEqual({ status: early.status, code: early.body.code, detail: early.body.detail }, { status: 410, code: 'link_unavailable', detail: unknown.body.detail });
      });

      it('issues exactly one grant when two recipients race for the last download', async () => {
        const sent = await h.send(alice, { recipients: ['one@lab.example', 'two@lab.example'], maxDownloads: 1 });
        const openings = [];
        for (const email of ['one@lab.example', 'two@lab.example']) {
          const asked = await h.requestCode(sent, email);
          openings.push({ openingToken: asked.body.openingToken, code: (await h.codesFor(email)).at(-1) });
        }
        const results = await Promise.all(openings.map((body) => h.request('POST', `/open/${sent.transferId}/grant`, { body })));
        assert.deepEqual(results.map((r) => r.status).sort(), [200, 410]);
        assert.equal(results.find((r) => r.status === 410)!.body.code, 'transfer_exhausted');
        assert.equal(await h.downloadsUsed(sent.transferId), 1);
        const challenge = await h.request('POST', `/open/${sent.transferId}/challenge`, { body: {} });
        assert.equal(challenge.body.code, 'transfer_exhausted');
      });

      it('lets a member who is a recipient in without a code, and nobody else', async () => {
        const rita = await h.member(`rita-${randomBytes(3).toString('hex')}@hospital.example`);
        const sent = await h.send(alice, { recipients: [rita.email.toUpperCase()], maxDownloads: 2 });
        const path = `/open/${sent.transferId}/member-grant`;
        assert.equal((await h.request('POST', path, { body: await h.proveLink(sent) })).status, 401);
        const stranger = await h.member();
        const forbidden = await h.request('POST', path, { token: stranger.token, body: await h.proveLink(sent) });
        assert.equal(forbidden.status, 403);
        assert.equal(forbidden.body.code, 'forbidden');
        const ok = await h.request('POST', path, { token: rita.token, body: await h.proveLink(sent) });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.equal(ok.body.serverShare, sent.created.serverShare);
        assert.deepEqual(await h.mailsTo(rita.email), []);
        const extra = await h.request('POST', path, { token: rita.token, body: { ...(await h.proveLink(sent)), email: rita.email } });
        assert.equal(extra.status, 400, 'unknown fields are refused');
      });
    });
  }
});
