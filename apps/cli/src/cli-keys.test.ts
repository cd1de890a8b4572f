// Member keys through the real `valise` (child processes) against the real server: the organisation key made
// offline, keys created on the member's computer, signed by an administrator, safety numbers compared, a server
// substituting a key refused, a changed key shown, passphrase change and recovery. docs/format.md §11.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  certifyMemberKey, generateMemberKeys, generateSigKeyPair, importSigningKey, memberKeyFingerprint, parseOrgKeyFile, serializeMemberKeyRecord,
  unlockOrgKey,
} from '@valise/crypto';
import { availableDialects } from '@valise/server/testing';
import { RealServer, type EnrolledMember } from './testing/real-server.js';
import { runCli } from './testing/run-cli.js';

const ORG_PASSPHRASE = 'organisation passphrase, kept offline';
const lines = (...answers: string[]) => `${answers.join('\n')}\n`;
const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

describe('valise keys, safety-number and admin sign-members against the real server', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    it(`org key → keys init → sign-members → safety numbers → substitution refused → passphrase and recovery (${dialect})`, async (t) => {
      const root = await mkdtemp(join(tmpdir(), 'valise-keys-'));
      t.after(() => rm(root, { recursive: true, force: true }));
      const orgFile = join(root, 'org-key.json');
      const adminDir = join(root, 'admin');

      // The organisation key, made on the administrator's machine before the server knows it.
      const init = await runCli(['--json', 'admin', 'org-key', 'init', '--out', orgFile], { env: { VALISE_CONFIG_DIR: adminDir }, input: lines(ORG_PASSPHRASE, ORG_PASSPHRASE) });
      assert.equal(init.code, 0, init.stderr);
      const { publicKey } = json<{ publicKey: string }>(init.stdout);
      assert.equal(((await import('node:fs')).statSync(orgFile).mode & 0o777), 0o600);
      const again = await runCli(['admin', 'org-key', 'init', '--out', orgFile], { env: { VALISE_CONFIG_DIR: adminDir }, input: lines(ORG_PASSPHRASE, ORG_PASSPHRASE) });
      assert.equal(again.code, 2, 'an existing organisation key is never overwritten');

      // Behind a forwarding proxy that can play a compromised server (rewriting chosen answers).
      const real = await RealServer.start({ dialect, env: { VALISE_ORG_PUBLIC_KEY: publicKey }, proxy: true });
      t.after(() => real.close());
      const signIn = async (member: EnrolledMember, dir: string) => {
        const login = await real.cliLogin(dir, member);
        assert.equal(login.code, 0, login.stderr);
        return { VALISE_CONFIG_DIR: dir };
      };
      const admin = await real.member('admin@h.example', true);
      const alice = await real.member('alice@h.example');
      const bob = await real.member('bob@h.example');
      const adminEnv = await signIn(admin, adminDir);
      const aliceEnv = await signIn(alice, join(root, 'alice'));
      const bobEnv = await signIn(bob, join(root, 'bob'));
      const credentials = json<{ orgPublicKey: string }>(await readFile(join(root, 'alice', 'credentials.json'), 'utf8'));
      assert.equal(credentials.orgPublicKey, publicKey, 'login pins the organisation key');

      // Keys made on each member's computer; the recovery code is shown once.
      const aliceInit = await runCli(['--json', 'keys', 'init'], { env: aliceEnv, input: lines('alice key passphrase', 'alice key passphrase') });
      assert.equal(aliceInit.code, 0, aliceInit.stderr);
      assert.match(aliceInit.stderr, /nobody — not even your administrators — can open what was sent to you/);
      const { recoveryCode } = json<{ recoveryCode: string; fingerprint: string }>(aliceInit.stdout);
      assert.match(recoveryCode, /^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/);
      const short = await runCli(['keys', 'init'], { env: bobEnv, input: lines('too short') });
      assert.equal(short.code, 2);
      assert.match(short.stderr, /at least 12 characters/);
      assert.equal((await runCli(['keys', 'init'], { env: bobEnv, input: lines('bob key passphrase!', 'bob key passphrase?') })).code, 2, 'the two passphrases must match');
      const bobInit = await runCli(['--json', 'keys', 'init'], { env: bobEnv, input: lines('bob key passphrase!', 'bob key passphrase!') });
      assert.equal(bobInit.code, 0, bobInit.stderr);
      const twice = await runCli(['keys', 'init'], { env: bobEnv, input: lines('bob key passphrase!', 'bob key passphrase!') });
      assert.notEqual(twice.code, 0, 'keys are made once');

      const status = async (env: Record<string, string>) => {
        const run = await runCli(['--json', 'keys', 'status'], { env });
        assert.equal(run.code, 0, run.stderr);
        return json<{ certified: boolean; unlockMethods: string[]; fingerprint: string }>(run.stdout);
      };
      assert.deepEqual(await status(aliceEnv).then((s) => [s.certified, s.unlockMethods.sort()]), [false, ['passphrase', 'recovery']]);
      const unsigned = await runCli(['safety-number', 'bob@h.example'], { env: aliceEnv });
      assert.notEqual(unsigned.code, 0, 'an unsigned key is not offered');

      // The administrator signs both, after seeing their fingerprints.
      const sign = await runCli(['--json', 'admin', 'sign-members', '--key', orgFile, '--yes'], { env: adminEnv, input: lines(ORG_PASSPHRASE) });
      assert.equal(sign.code, 0, sign.stderr);
      assert.deepEqual(json<{ signed: string[] }>(sign.stdout).signed.sort(), ['alice@h.example', 'bob@h.example']);
      assert.equal((await status(aliceEnv)).certified, true);
      const wrongOrgPass = await runCli(['admin', 'sign-members', '--key', orgFile, '--yes'], { env: adminEnv, input: lines('not the passphrase') });
      assert.equal(wrongOrgPass.code, 0, 'nothing left to sign: the passphrase is not even asked');
      const notAdmin = await runCli(['admin', 'sign-members', '--key', orgFile, '--yes'], { env: aliceEnv, input: lines(ORG_PASSPHRASE) });
      assert.equal(notAdmin.code, 3);

      // Both see the same safety number.
      const number = async (env: Record<string, string>, email: string, extra: string[] = []) => runCli(['--json', 'safety-number', email, ...extra], { env });
      const ab = await number(aliceEnv, 'bob@h.example');
      const ba = await number(bobEnv, 'alice@h.example');
      assert.equal(ab.code, 0, ab.stderr);
      const digits = json<{ safetyNumber: string }>(ab.stdout).safetyNumber;
      assert.match(digits, /^(\d{5} ){11}\d{5}$/);
      assert.equal(json<{ safetyNumber: string }>(ba.stdout).safetyNumber, digits);

      // A server substituting bob's key with one it made: no organisation signature for it → refused.
      const forged = await generateMemberKeys(bob.id, bob.email);
      const forgedText = new TextDecoder().decode(serializeMemberKeyRecord(forged.record));
      const otherOrg = await generateSigKeyPair('Ed25519');
      const foreignCert = Buffer.from(await certifyMemberKey(await importSigningKey('Ed25519', otherOrg.privateKeyPkcs8), forged.record)).toString('base64url');
      const serve = (change: (served: Record<string, unknown>) => Record<string, unknown>) => real.proxy!.rewriteWhen((method, path) =>
        method === 'GET' && path.startsWith('/api/v1/members/') ? (body) => Buffer.from(JSON.stringify(change(JSON.parse(body.toString()) as Record<string, unknown>))) : undefined);
      serve((k) => ({ ...k, record: forgedText })); // bob's genuine certificate, another record
      const substituted = await number(aliceEnv, 'bob@h.example');
      assert.equal(substituted.code, 5, substituted.stderr);
      assert.match(substituted.stderr, /not signed for them by your organisation: refused/);
      serve((k) => ({ ...k, record: forgedText, certificate: foreignCert })); // signed, by another organisation key
      assert.equal((await number(aliceEnv, 'bob@h.example')).code, 5);
      serve((k) => ({ ...k, certificate: null })); // the genuine record, its certificate stripped
      assert.equal((await number(aliceEnv, 'bob@h.example')).code, 5);
      const aliceToken = json<{ token: string }>(await readFile(join(root, 'alice', 'credentials.json'), 'utf8')).token;
      const aliceServed = await real.api(aliceToken).getMemberKeyByEmail('alice@h.example');
      serve(() => ({ ...aliceServed })); // alice's genuine, certified key served as bob's
      assert.equal((await number(aliceEnv, 'bob@h.example')).code, 5);
      real.proxy!.rewriteWhen(undefined);
      assert.equal((await number(aliceEnv, 'bob@h.example')).code, 0, 'the genuine key still works');

      // Bob really has new keys, signed by the organisation: alice is warned loudly until she accepts the change.
      const original = await real.db.selectFrom('member_keys').selectAll().where('user_id', '=', bob.id).executeTakeFirstOrThrow();
      await real.db.updateTable('member_keys').set({ record: forgedText, fingerprint: Buffer.from(await memberKeyFingerprint(forged.record)) }).where('user_id', '=', bob.id).execute();
      const orgKey = await unlockOrgKey(await parseOrgKeyFile(await readFile(orgFile)), ORG_PASSPHRASE);
      await real.db.updateTable('member_keys').set({ certificate: Buffer.from(await certifyMemberKey(orgKey, forged.record)) }).where('user_id', '=', bob.id).execute();
      const changed = await number(aliceEnv, 'bob@h.example');
      assert.equal(changed.code, 5);
      assert.match(changed.stderr, /WARNING: the key of bob@h\.example has CHANGED/);
      const accepted = await number(aliceEnv, 'bob@h.example', ['--accept-new-key']);
      assert.equal(accepted.code, 0, accepted.stderr);
      assert.notEqual(json<{ safetyNumber: string }>(accepted.stdout).safetyNumber, digits);
      assert.equal((await number(aliceEnv, 'bob@h.example')).code, 0, 'the accepted key is pinned');
      await real.db.updateTable('member_keys').set({ record: original.record, fingerprint: original.fingerprint, certificate: original.certificate }).where('user_id', '=', bob.id).execute();

      // A server presenting another organisation key than the pinned one is refused.
      const credsPath = join(root, 'alice', 'credentials.json');
      const creds = await readFile(credsPath, 'utf8');
      await writeFile(credsPath, creds.replace(publicKey, Buffer.from(otherOrg.publicKey).toString('base64url')));
      const otherPin = await runCli(['keys', 'status'], { env: aliceEnv });
      assert.equal(otherPin.code, 5);
      assert.match(otherPin.stderr, /another organisation key than the one this computer trusts/);
      await writeFile(credsPath, creds);

      // Passphrase change re-wraps only the account key; the old passphrase stops working; recovery still works.
      const before = (await status(aliceEnv)).fingerprint;
      const change = await runCli(['keys', 'passphrase'], { env: aliceEnv, input: lines('alice key passphrase', 'alice new passphrase', 'alice new passphrase') });
      assert.equal(change.code, 0, change.stderr);
      const oldFails = await runCli(['keys', 'recovery-code'], { env: aliceEnv, input: lines('alice key passphrase') });
      assert.equal(oldFails.code, 3);
      assert.match(oldFails.stderr, /wrong key passphrase/);
      const forgot = await runCli(['keys', 'passphrase', '--recovery-code'], { env: aliceEnv, input: lines(recoveryCode.toLowerCase(), 'alice third passphrase', 'alice third passphrase') });
      assert.equal(forgot.code, 0, forgot.stderr);
      const newCode = await runCli(['--json', 'keys', 'recovery-code'], { env: aliceEnv, input: lines('alice third passphrase') });
      assert.equal(newCode.code, 0, newCode.stderr);
      const { recoveryCode: replaced } = json<{ recoveryCode: string }>(newCode.stdout);
      assert.notEqual(replaced, recoveryCode);
      const oldCode = await runCli(['keys', 'passphrase', '--recovery-code'], { env: aliceEnv, input: lines(recoveryCode, 'x'.repeat(12), 'x'.repeat(12)) });
      assert.equal(oldCode.code, 3, 'the replaced recovery code no longer opens anything');
      assert.equal((await status(aliceEnv)).fingerprint, before, 'the keys themselves never changed');

      // What the server stores holds none of the secrets the member typed or was shown.
      const stored = JSON.stringify(await real.db.selectFrom('unlock_wraps').selectAll().execute(), (_k, v: unknown) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v);
      for (const secret of ['alice key passphrase', 'alice third passphrase', recoveryCode, replaced, replaced.replace(/-/g, '')]) {
        assert.ok(!stored.includes(secret), 'no passphrase or recovery code is stored');
      }
    });
  }
});
