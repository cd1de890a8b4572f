// Member keys over real HTTP, on SQLite and PostgreSQL: set-up (once), unlock methods, other members' certified keys,
// the organisation key and certification by an administrator, with real records, bundles, wraps and certificates
// made by @valise/crypto.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type AccountKey, type NewMemberKeys, type SigningKey, type UnlockWrap, certifyMemberKey, checkCertifiedMemberKey, fromUtf8,
  generateMemberKeys, generateSigKeyPair, importSigningKey, memberKeyFingerprint, newAccountKey, newRecoveryCode, parseMemberKeyRecord,
  sealKeyBundle, serializeMemberKeyRecord, toBase64Url, unwrapAccountKey, wrapAccountKey,
} from '@valise/crypto';
import { hashToken, newId, newToken } from '../accounts/tokens.js';
import { SESSION_COOKIE } from '../accounts/authenticate.js';
import { availableDialects } from '../testing/databases.js';
import { Harness, type Member, type Reply } from '../transfers/transfer-test-kit.js';
import { MemberKeyService } from './member-keys.service.js';

interface OrgKey {
  readonly publicKey: string;
  readonly signingKey: SigningKey;
}

async function newOrgKey(): Promise<OrgKey> {
  const pair = await generateSigKeyPair('Ed25519');
  return { publicKey: toBase64Url(pair.publicKey), signingKey: await importSigningKey('Ed25519', pair.privateKeyPkcs8) };
}

/** What a member's client makes at set-up: keys, UK, the sealed bundle and its wraps. */
interface ClientKeys {
  readonly keys: NewMemberKeys;
  readonly record: string;
  readonly uk: AccountKey;
  readonly bundle: string;
  readonly recoveryCode: string;
  readonly wraps: UnlockWrap[];
}

/** A passkey wrap (a PRF output is 32 random bytes here): real and fast, unlike a passphrase wrap (Argon2id). */
const passkeyWrap = (uk: AccountKey, memberId: string) =>
  wrapAccountKey(uk, memberId, { kind: 'passkey', prfOutput: randomBytes(32), credentialId: randomBytes(32).toString('base64url') });

async function clientKeys(member: Pick<Member, 'id' | 'email'>, options: { passphrase?: boolean } = {}): Promise<ClientKeys> {
  const keys = await generateMemberKeys(member.id, member.email);
  const uk = newAccountKey();
  const recoveryCode = newRecoveryCode();
  const wraps = [
    options.passphrase ? await wrapAccountKey(uk, member.id, { kind: 'passphrase', passphrase: 'correct horse battery staple' }) : await passkeyWrap(uk, member.id),
    await wrapAccountKey(uk, member.id, { kind: 'recovery', code: recoveryCode }),
  ];
  return {
    keys, uk, recoveryCode, wraps,
    record: fromUtf8(serializeMemberKeyRecord(keys.record)),
    bundle: toBase64Url(await sealKeyBundle(uk, keys)),
  };
}

const setUpBody = (c: ClientKeys) => ({ record: c.record, bundle: c.bundle, wraps: c.wraps });

/** Flips the last base64url character's unused low bits: same bytes to a lax decoder, refused by a strict one. */
function nonCanonical(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(text.at(-1)!);
  return text.slice(0, -1) + alphabet[last | 1];
}

const fakeWrapped = () => randomBytes(104).toString('base64url');

/** Wraps come back oldest first, then by id: those made in the same millisecond come back in id order. */
const byId = (wraps: readonly UnlockWrap[]) => [...wraps].sort((a, b) => (a.wrapId < b.wrapId ? -1 : 1));

describe('member keys', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    describe(dialect, () => {
      let h: Harness;
      let org: OrgKey;
      let admin: Member;
      let alice: Member;
      let aliceKeys: ClientKeys;

      const auditOf = (action: string) => h.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('seq').execute();
      const put = (who: Member, body: unknown) => h.request('PUT', '/me/keys', { token: who.token, body });
      const expectProblem = (reply: Reply, status: number, code: string) => {
        assert.equal(reply.status, status, JSON.stringify(reply.body));
        assert.equal(reply.body.code, code, JSON.stringify(reply.body));
      };
      async function makeAdmin(): Promise<Member> {
        const m = await h.member();
        await h.db.updateTable('users').set({ is_admin: 1 }).where('id', '=', m.id).execute();
        return m;
      }
      async function certify(member: Member, keys: ClientKeys): Promise<Reply> {
        const certificate = await certifyMemberKey(org.signingKey, keys.keys.record);
        return h.request('POST', `/admin/member-keys/${member.id}/certificate`, {
          token: admin.token,
          body: { fingerprint: toBase64Url(await memberKeyFingerprint(keys.keys.record)), certificate: toBase64Url(certificate) },
        });
      }
      /** A member with keys set up (and certified, unless told otherwise). */
      async function memberWithKeys(options: { certified?: boolean } = {}): Promise<{ m: Member; c: ClientKeys }> {
        const m = await h.member();
        const c = await clientKeys(m);
        const created = await put(m, setUpBody(c));
        assert.equal(created.status, 201, JSON.stringify(created.body));
        if (options.certified ?? true) assert.equal((await certify(m, c)).status, 200);
        return { m, c };
      }

      before(async () => {
        org = await newOrgKey();
        h = await Harness.start({ dialect, env: { VALISE_ORG_PUBLIC_KEY: org.publicKey } });
        admin = await makeAdmin();
        alice = await h.member();
        // One real passphrase wrap (Argon2id at the floor, ~0.3 s): what a real client sends must pass as is.
        aliceKeys = await clientKeys(alice, { passphrase: true });
      });
      after(async () => h?.close());

      it('serves the organisation public key without sign-in', async () => {
        const reply = await h.request('GET', '/org-key');
        assert.equal(reply.status, 200);
        assert.deepEqual(reply.body, { publicKey: org.publicKey });
      });

      it('answers member_keys_missing before set-up, and 401 without sign-in', async () => {
        expectProblem(await h.request('GET', '/me/keys', { token: alice.token }), 404, 'member_keys_missing');
        expectProblem(await h.request('GET', '/me/keys'), 401, 'unauthenticated');
        expectProblem(await put({ ...alice, token: '' }, setUpBody(aliceKeys)), 401, 'unauthenticated');
      });

      it('refuses a record that is not the caller\'s, not canonical or not strict', async () => {
        const bob = await h.member();
        const bobKeys = await clientKeys(bob);
        const withRecord = (record: string) => ({ ...setUpBody(aliceKeys), record });
        // Someone else's record, and a record with alice's id but another address.
        expectProblem(await put(alice, withRecord(bobKeys.record)), 400, 'key_record_invalid');
        const otherAddress = await generateMemberKeys(alice.id, 'someone.else@hospital.example');
        expectProblem(await put(alice, withRecord(fromUtf8(serializeMemberKeyRecord(otherAddress.record)))), 400, 'key_record_invalid');
        const otherId = await generateMemberKeys(newId(), alice.email);
        expectProblem(await put(alice, withRecord(fromUtf8(serializeMemberKeyRecord(otherId.record)))), 400, 'key_record_invalid');
        // The same record, not in canonical form: other key order, or whitespace.
        const parsed = JSON.parse(aliceKeys.record) as Record<string, unknown>;
        const reordered = JSON.stringify(Object.fromEntries(Object.entries(parsed).reverse()));
        const spaced = JSON.stringify(parsed, null, 1);
        for (const record of [reordered, spaced]) {
          const reply = await put(alice, withRecord(record));
          expectProblem(reply, 400, 'key_record_invalid');
          assert.match(reply.body.detail, /canonical/);
        }
        // An extra key, a wrong version, a P-256 point off the curve.
        const canonical = (o: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))));
        expectProblem(await put(alice, withRecord(canonical({ ...parsed, extra: 'x' }))), 400, 'key_record_invalid');
        expectProblem(await put(alice, withRecord(canonical({ ...parsed, v: 2 }))), 400, 'key_record_invalid');
        const offCurve = Buffer.alloc(65, 7);
        offCurve[0] = 4;
        expectProblem(await put(alice, withRecord(canonical({ ...parsed, kem: 'P-256', kemPublicKey: offCurve.toString('base64url') }))), 400, 'key_record_invalid');
        // Not JSON at all, and too long for the schema.
        expectProblem(await put(alice, withRecord('not json')), 400, 'key_record_invalid');
        expectProblem(await put(alice, withRecord(`{${' '.repeat(2000)}}`)), 400, 'validation_failed');
        expectProblem(await h.request('GET', '/me/keys', { token: alice.token }), 404, 'member_keys_missing');
      });

      it('refuses malformed wraps and wrap sets', async () => {
        const [first, recovery] = aliceKeys.wraps as [UnlockWrap, UnlockWrap];
        const withWraps = (wraps: unknown[]) => ({ ...setUpBody(aliceKeys), wraps });
        const passkey = await passkeyWrap(aliceKeys.uk, alice.id);
        const cases: [string, unknown[], number, string][] = [
          ['a 103-byte wrap', [first, { ...recovery, wrapped: randomBytes(103).toString('base64url') }], 400, 'validation_failed'],
          ['a 105-byte wrap', [first, { ...recovery, wrapped: randomBytes(105).toString('base64url') }], 400, 'validation_failed'],
          ['a non-canonical wrap', [first, { ...recovery, wrapped: nonCanonical(recovery.wrapped) }], 400, 'wrap_invalid'],
          ['a non-canonical wrap id', [first, { ...recovery, wrapId: nonCanonical(newId()) }], 400, 'wrap_invalid'],
          ['Argon2id below the floor', [{ ...first, argon2: { ...first.argon2!, m: 65_535 } }, recovery], 400, 'wrap_invalid'],
          ['Argon2id t below the floor', [{ ...first, argon2: { ...first.argon2!, t: 2 } }, recovery], 400, 'wrap_invalid'],
          ['Argon2id above the ceiling', [{ ...first, argon2: { ...first.argon2!, p: 17 } }, recovery], 400, 'wrap_invalid'],
          ['a 15-byte salt', [{ ...first, argon2: { ...first.argon2!, salt: randomBytes(15).toString('base64url') } }, recovery], 400, 'validation_failed'],
          ['a passphrase wrap without Argon2id', [{ ...first, argon2: null }, recovery], 400, 'wrap_invalid'],
          ['Argon2id on a recovery wrap', [first, { ...recovery, argon2: first.argon2 }], 400, 'wrap_invalid'],
          ['a passkey wrap without credential id', [{ ...passkey, credentialId: null }, recovery], 400, 'wrap_invalid'],
          ['a credential id on a recovery wrap', [first, { ...recovery, credentialId: passkey.credentialId }], 400, 'wrap_invalid'],
          ['an unknown kind', [first, { ...recovery, kind: 'password' }], 400, 'validation_failed'],
          ['an unknown field', [first, { ...recovery, note: 'x' }], 400, 'validation_failed'],
          ['no recovery wrap', [first, passkey], 400, 'wrap_invalid'],
          ['two recovery wraps', [first, recovery, { ...recovery, wrapId: newId() }], 400, 'wrap_invalid'],
          ['the recovery wrap alone', [recovery], 400, 'wrap_invalid'],
          ['two passphrase wraps', [first, { ...first, wrapId: newId() }, recovery], 400, 'wrap_invalid'],
          ['the same wrap id twice', [first, passkey, { ...recovery, wrapId: first.wrapId }], 400, 'wrap_invalid'],
          ['no wraps', [], 400, 'validation_failed'],
          ['nine wraps', [first, recovery, ...Array.from({ length: 7 }, () => ({ ...passkey, wrapId: newId() }))], 400, 'validation_failed'],
        ];
        for (const [name, wraps, status, code] of cases) {
          const reply = await put(alice, withWraps(wraps));
          assert.equal(reply.status, status, `${name}: ${JSON.stringify(reply.body)}`);
          assert.equal(reply.body.code, code, name);
        }
        // 1000 bytes leave 4 unused bits in the last character: setting one makes the text non-canonical.
        expectProblem(await put(alice, { ...setUpBody(aliceKeys), bundle: nonCanonical(randomBytes(1000).toString('base64url')) }), 400, 'validation_failed');
        expectProblem(await put(alice, { ...setUpBody(aliceKeys), bundle: randomBytes(20).toString('base64url') }), 400, 'validation_failed');
        expectProblem(await put(alice, { ...setUpBody(aliceKeys), bundle: randomBytes(65 * 1024).toString('base64url') }), 400, 'validation_failed');
        expectProblem(await put(alice, { ...setUpBody(aliceKeys), extra: 1 }), 400, 'validation_failed');
        expectProblem(await h.request('GET', '/me/keys', { token: alice.token }), 404, 'member_keys_missing');
      });

      it('sets up once: stores the bytes as sent, audits the fingerprint only, then answers member_keys_exist', async () => {
        const reply = await put(alice, setUpBody(aliceKeys));
        assert.equal(reply.status, 201, JSON.stringify(reply.body));
        const fingerprint = await memberKeyFingerprint(aliceKeys.keys.record);
        const expected = {
          record: aliceKeys.record, fingerprint: toBase64Url(fingerprint), certificate: null, bundle: aliceKeys.bundle, wraps: byId(aliceKeys.wraps),
        };
        assert.deepEqual(reply.body, expected);
        const mine = await h.request('GET', '/me/keys', { token: alice.token });
        assert.equal(mine.status, 200);
        assert.deepEqual(mine.body, expected);
        // What came back unlocks: the passphrase and the recovery code both open UK.
        const back = mine.body.wraps as UnlockWrap[];
        assert.deepEqual(await unwrapAccountKey(back.find((w) => w.kind === 'recovery')!, alice.id, { kind: 'recovery', code: aliceKeys.recoveryCode }), aliceKeys.uk);

        const [entry, ...more] = (await auditOf('member_keys.created')).filter((e) => e.actor === alice.id);
        assert.equal(more.length, 0);
        assert.equal(entry!.target, alice.id);
        const detail = JSON.parse(entry!.detail!);
        assert.equal(detail.fingerprint, Buffer.from(fingerprint).toString('hex'));
        assert.equal(detail.pending, true);
        for (const secret of [aliceKeys.bundle, ...aliceKeys.wraps.map((w) => w.wrapped), aliceKeys.wraps[0]!.argon2!.salt]) {
          assert.ok(!entry!.detail!.includes(secret), 'no key material in the audit log');
        }

        const again = await clientKeys(alice);
        expectProblem(await put(alice, setUpBody(again)), 409, 'member_keys_exist');
        expectProblem(await put(alice, setUpBody(aliceKeys)), 409, 'member_keys_exist');
      });

      it('refuses wrap ids already used by someone else', async () => {
        const carol = await h.member();
        const c = await clientKeys(carol);
        const stolen = { ...c.wraps[1]!, wrapId: aliceKeys.wraps[1]!.wrapId };
        expectProblem(await put(carol, { ...setUpBody(c), wraps: [c.wraps[0], stolen] }), 409, 'conflict');
        expectProblem(await h.request('GET', '/me/keys', { token: carol.token }), 404, 'member_keys_missing');
      });

      it('adds, replaces and removes unlock methods, never the last passphrase or passkey', async () => {
        const { m, c } = await memberWithKeys({ certified: false });
        const [firstPasskey, recovery] = c.wraps as [UnlockWrap, UnlockWrap];
        const post = (body: unknown) => h.request('POST', '/me/keys/wraps', { token: m.token, body });
        const del = (wrapId: string, token = m.token) => h.request('DELETE', `/me/keys/wraps/${wrapId}`, { token });
        const ids = (reply: Reply) => (reply.body.wraps as UnlockWrap[]).map((w) => w.wrapId);

        // A second passkey is added.
        const second = await passkeyWrap(c.uk, m.id);
        const added = await post({ wrap: second });
        assert.equal(added.status, 200, JSON.stringify(added.body));
        assert.deepEqual(new Set(ids(added)), new Set([firstPasskey.wrapId, recovery.wrapId, second.wrapId]));

        // A regenerated recovery code replaces the old one atomically; adding it instead is refused.
        const newCode = newRecoveryCode();
        const newRecovery = await wrapAccountKey(c.uk, m.id, { kind: 'recovery', code: newCode });
        expectProblem(await post({ wrap: newRecovery }), 409, 'conflict');
        expectProblem(await post({ wrap: newRecovery, replaces: newId() }), 404, 'not_found');
        expectProblem(await post({ wrap: newRecovery, replaces: aliceKeys.wraps[0]!.wrapId }), 404, 'not_found');
        const replaced = await post({ wrap: newRecovery, replaces: recovery.wrapId });
        assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
        assert.deepEqual(new Set(ids(replaced)), new Set([firstPasskey.wrapId, second.wrapId, newRecovery.wrapId]));
        const stored = (await h.request('GET', '/me/keys', { token: m.token })).body.wraps as UnlockWrap[];
        assert.deepEqual(await unwrapAccountKey(stored.find((w) => w.kind === 'recovery')!, m.id, { kind: 'recovery', code: newCode }), c.uk);

        // A passphrase (server-side only the shape counts), then a changed passphrase replaces it.
        const passphrase = { wrapId: newId(), kind: 'passphrase', argon2: { m: 65_536, t: 3, p: 4, salt: randomBytes(16).toString('base64url') }, credentialId: null, wrapped: fakeWrapped() };
        assert.equal((await post({ wrap: passphrase })).status, 200);
        const changed = { ...passphrase, wrapId: newId(), argon2: { m: 131_072, t: 4, p: 4, salt: randomBytes(16).toString('base64url') } };
        expectProblem(await post({ wrap: changed }), 409, 'conflict');
        expectProblem(await post({ wrap: { ...changed, wrapId: passphrase.wrapId }, replaces: passphrase.wrapId }), 409, 'conflict');
        expectProblem(await post({ wrap: { ...changed, argon2: { ...changed.argon2, m: 1024 } }, replaces: passphrase.wrapId }), 400, 'wrap_invalid');
        const afterChange = await post({ wrap: changed, replaces: passphrase.wrapId });
        assert.equal(afterChange.status, 200);
        assert.deepEqual((afterChange.body.wraps as UnlockWrap[]).find((w) => w.kind === 'passphrase'), changed);

        // At most eight methods.
        for (let i = (afterChange.body.wraps as UnlockWrap[]).length; i < 8; i++) assert.equal((await post({ wrap: await passkeyWrap(c.uk, m.id) })).status, 200);
        expectProblem(await post({ wrap: await passkeyWrap(c.uk, m.id) }), 409, 'conflict');

        // Removing: passkeys and the passphrase may go until one of them is left.
        let wraps = (await h.request('GET', '/me/keys', { token: m.token })).body.wraps as UnlockWrap[];
        expectProblem(await del(wraps[0]!.wrapId, alice.token), 404, 'not_found');
        const keepers = wraps.filter((w) => w.kind !== 'recovery');
        for (const w of keepers.slice(1)) assert.equal((await del(w.wrapId)).status, 200);
        wraps = (await h.request('GET', '/me/keys', { token: m.token })).body.wraps as UnlockWrap[];
        assert.deepEqual(wraps.map((w) => w.wrapId).sort(), [keepers[0]!.wrapId, newRecovery.wrapId].sort());
        expectProblem(await del(keepers[0]!.wrapId), 409, 'last_unlock_method');
        // Replacing the last one by a recovery wrap would also leave none.
        expectProblem(await post({ wrap: await wrapAccountKey(c.uk, m.id, { kind: 'recovery', code: newRecoveryCode() }), replaces: keepers[0]!.wrapId }), 409, 'last_unlock_method');
        expectProblem(await del(newId()), 404, 'not_found');
        expectProblem(await del('not-an-id'), 400, 'validation_failed');

        const actions = (await h.db.selectFrom('audit_log').select(['action', 'detail']).where('actor', '=', m.id).orderBy('seq').execute()).map((e) => e.action);
        assert.deepEqual(actions, [
          'member_keys.created', 'member_keys.wrap_added', 'member_keys.wrap_replaced', 'member_keys.wrap_added', 'member_keys.wrap_replaced',
          ...Array.from({ length: 4 }, () => 'member_keys.wrap_added'), ...Array.from({ length: keepers.length - 1 }, () => 'member_keys.wrap_deleted'),
        ]);
        const replacedEntry = (await auditOf('member_keys.wrap_replaced')).find((e) => e.actor === m.id)!;
        assert.deepEqual(JSON.parse(replacedEntry.detail!), { wrapId: newRecovery.wrapId, kind: 'recovery', replaced: { wrapId: recovery.wrapId, kind: 'recovery' } });
      });

      it('refuses wrap changes before set-up', async () => {
        const dave = await h.member();
        const c = await clientKeys(dave);
        expectProblem(await h.request('POST', '/me/keys/wraps', { token: dave.token, body: { wrap: c.wraps[0] } }), 404, 'member_keys_missing');
        expectProblem(await h.request('DELETE', `/me/keys/wraps/${c.wraps[0]!.wrapId}`, { token: dave.token }), 404, 'member_keys_missing');
      });

      it('lets only administrators list and certify keys', async () => {
        const { m, c } = await memberWithKeys({ certified: false });
        expectProblem(await h.request('GET', '/admin/member-keys', { token: m.token }), 403, 'forbidden');
        const certificate = toBase64Url(await certifyMemberKey(org.signingKey, c.keys.record));
        const fingerprint = toBase64Url(await memberKeyFingerprint(c.keys.record));
        expectProblem(await h.request('POST', `/admin/member-keys/${m.id}/certificate`, { token: m.token, body: { fingerprint, certificate } }), 403, 'forbidden');
        expectProblem(await h.request('GET', '/admin/member-keys'), 401, 'unauthenticated');
        assert.equal((await h.request('GET', '/me/keys', { token: m.token })).body.certificate, null, 'nothing was stored');
      });

      it('certifies: lists pending keys, refuses a wrong org key, a stale fingerprint and a bad certificate, audits', async () => {
        const { m, c } = await memberWithKeys({ certified: false });
        const fingerprint = toBase64Url(await memberKeyFingerprint(c.keys.record));
        const list = async (status?: string) => {
          const reply = await h.request('GET', `/admin/member-keys${status ? `?status=${status}` : ''}`, { token: admin.token });
          assert.equal(reply.status, 200, JSON.stringify(reply.body));
          return reply.body.keys as { memberId: string }[];
        };
        const pending = (await list('pending')).find((k) => k.memberId === m.id);
        assert.deepEqual(pending, { memberId: m.id, email: m.email, record: c.record, fingerprint, createdAt: h.clock.now(), certifiedAt: null });
        assert.ok(!(await list('certified')).some((k) => k.memberId === m.id));
        expectProblem(await h.request('GET', '/admin/member-keys?status=revoked', { token: admin.token }), 400, 'validation_failed');

        const certifyWith = (body: { fingerprint: string; certificate: string }, memberId = m.id) =>
          h.request('POST', `/admin/member-keys/${memberId}/certificate`, { token: admin.token, body });
        // Signed by another organisation key.
        const otherOrg = await newOrgKey();
        const foreign = toBase64Url(await certifyMemberKey(otherOrg.signingKey, c.keys.record));
        expectProblem(await certifyWith({ fingerprint, certificate: foreign }), 422, 'certificate_invalid');
        // Signed by our key, but over another record.
        const { c: other } = await memberWithKeys({ certified: false });
        const otherCertificate = toBase64Url(await certifyMemberKey(org.signingKey, other.keys.record));
        expectProblem(await certifyWith({ fingerprint, certificate: otherCertificate }), 422, 'certificate_invalid');
        expectProblem(await certifyWith({ fingerprint, certificate: toBase64Url(randomBytes(64)) }), 422, 'certificate_invalid');
        expectProblem(await certifyWith({ fingerprint, certificate: toBase64Url(randomBytes(63)) }), 400, 'validation_failed');
        // The record the administrator looked at is not the member's (it changed since).
        const good = toBase64Url(await certifyMemberKey(org.signingKey, c.keys.record));
        const stale = toBase64Url(await memberKeyFingerprint(other.keys.record));
        expectProblem(await certifyWith({ fingerprint: stale, certificate: good }), 409, 'member_key_changed');
        expectProblem(await certifyWith({ fingerprint, certificate: good }, newId()), 404, 'member_keys_missing');
        assert.equal((await auditOf('member_key.certified')).filter((e) => e.target === m.id).length, 0);

        h.clock.advance(5000);
        const certified = await certifyWith({ fingerprint, certificate: good });
        assert.equal(certified.status, 200, JSON.stringify(certified.body));
        assert.deepEqual(certified.body, { ...pending, certifiedAt: h.clock.now() });
        assert.ok((await list('certified')).some((k) => k.memberId === m.id));
        assert.ok(!(await list('pending')).some((k) => k.memberId === m.id));
        assert.ok((await list()).some((k) => k.memberId === m.id));
        assert.equal((await h.request('GET', '/me/keys', { token: m.token })).body.certificate, good);

        const [entry, ...more] = (await auditOf('member_key.certified')).filter((e) => e.target === m.id);
        assert.equal(more.length, 0);
        assert.equal(entry!.actor, admin.id);
        assert.deepEqual(JSON.parse(entry!.detail!), {
          fingerprint: Buffer.from(await memberKeyFingerprint(c.keys.record)).toString('hex'), orgPublicKey: org.publicKey, recertified: false,
        });
      });

      it('serves an active member\'s certified key by address and by id, and the same 404 for every other case', async () => {
        const { m, c } = await memberWithKeys();
        const byEmail = await h.request('GET', `/members/key?email=${encodeURIComponent(m.email.toUpperCase())}`, { token: alice.token });
        assert.equal(byEmail.status, 200, JSON.stringify(byEmail.body));
        const certificate = toBase64Url(await certifyMemberKey(org.signingKey, c.keys.record));
        assert.deepEqual(byEmail.body, { memberId: m.id, email: m.email, record: c.record, certificate });
        const byId = await h.request('GET', `/members/${m.id}/key`, { token: alice.token });
        assert.deepEqual(byId.body, byEmail.body);
        // What a client does with it: verify against the pinned org key, for the member it asked for.
        const checked = await checkCertifiedMemberKey(Buffer.from(org.publicKey, 'base64url'), parseMemberKeyRecord(byId.body.record), Buffer.from(byId.body.certificate, 'base64url'), { memberId: m.id, email: m.email });
        assert.deepEqual(checked.fingerprint, await memberKeyFingerprint(c.keys.record));
        expectProblem(await h.request('GET', `/members/${m.id}/key`), 401, 'unauthenticated');

        const { m: uncertified } = await memberWithKeys({ certified: false });
        const { m: disabled } = await memberWithKeys();
        await h.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', disabled.id).execute();
        const noKeys = await h.member();
        const answers: Reply[] = [];
        for (const who of [uncertified, disabled, noKeys]) {
          answers.push(await h.request('GET', `/members/key?email=${encodeURIComponent(who.email)}`, { token: alice.token }));
          answers.push(await h.request('GET', `/members/${who.id}/key`, { token: alice.token }));
        }
        answers.push(await h.request('GET', '/members/key?email=nobody%40hospital.example', { token: alice.token }));
        answers.push(await h.request('GET', `/members/${newId()}/key`, { token: alice.token }));
        for (const answer of answers) {
          expectProblem(answer, 404, 'member_key_unavailable');
          assert.deepEqual(answer.body, answers[0]!.body, 'indistinguishable');
          assert.equal(answer.body.detail, undefined);
        }
        expectProblem(await h.request('GET', '/members/key?email=not-an-address', { token: alice.token }), 400, 'validation_failed');
        expectProblem(await h.request('GET', '/members/key', { token: alice.token }), 400, 'validation_failed');
      });

      it('holds the cross-site checks of every cookie session', async () => {
        const erin = await h.member();
        const cookie = newToken();
        const now = h.clock.now();
        await h.db.insertInto('sessions').values({
          id: newId(), user_id: erin.id, kind: 'web', token_hash: hashToken(h.server.ctx.keystore.sessionKey, cookie), label: null,
          created_at: now, last_used_at: now, expires_at: now + 3_600_000, revoked_at: null,
        }).execute();
        const c = await clientKeys(erin);
        const headers = (origin: string) => ({ cookie: `${SESSION_COOKIE}=${cookie}`, origin });
        expectProblem(await h.request('PUT', '/me/keys', { body: setUpBody(c), headers: headers('https://evil.example') }), 403, 'forbidden');
        expectProblem(await h.request('GET', '/me/keys', { headers: headers('https://evil.example') }), 404, 'member_keys_missing');
        const same = await h.request('PUT', '/me/keys', { body: setUpBody(c), headers: headers(h.server.url) });
        assert.equal(same.status, 201, JSON.stringify(same.body));
      });

      it('enforces one passphrase and one recovery wrap per member in the database itself', async () => {
        const { m, c } = await memberWithKeys({ certified: false });
        const row = (kind: 'passphrase' | 'recovery' | 'passkey', extra: Record<string, unknown> = {}) => ({
          id: newId(), user_id: m.id, kind, argon2: kind === 'passphrase' ? '{}' : null, credential_id: kind === 'passkey' ? 'AAAA' : null,
          wrapped: randomBytes(104), created_at: 0, ...extra,
        });
        assert.equal(c.wraps.filter((w) => w.kind === 'recovery').length, 1);
        await assert.rejects(h.db.insertInto('unlock_wraps').values(row('recovery')).execute());
        await h.db.insertInto('unlock_wraps').values(row('passphrase')).execute();
        await assert.rejects(h.db.insertInto('unlock_wraps').values(row('passphrase')).execute());
        await h.db.insertInto('unlock_wraps').values(row('passkey')).execute();
        await h.db.insertInto('unlock_wraps').values(row('passkey')).execute();
        await assert.rejects(h.db.insertInto('unlock_wraps').values(row('passkey', { credential_id: null })).execute());
        await assert.rejects(h.db.insertInto('unlock_wraps').values(row('passkey', { wrapped: randomBytes(103) })).execute());
        await assert.rejects(h.db.updateTable('member_keys').set({ certificate: randomBytes(64) }).where('user_id', '=', m.id).execute(), 'a certificate comes with its time');
      });
    });
  }
});

describe('member keys without an organisation key', async () => {
  const { dialects } = await availableDialects();
  for (const dialect of dialects) {
    describe(dialect, () => {
      let h: Harness;
      before(async () => {
        h = await Harness.start({ dialect });
      });
      after(async () => h?.close());

      it('publishes no org key, refuses certification with org_key_not_configured, and serves no member key', async () => {
        assert.deepEqual((await h.request('GET', '/org-key')).body, { publicKey: null });
        const m = await h.member();
        const c = await clientKeys(m);
        const created = await h.request('PUT', '/me/keys', { token: m.token, body: setUpBody(c) });
        assert.equal(created.status, 201);
        const audit = await h.db.selectFrom('audit_log').select('detail').where('action', '=', 'member_keys.created').executeTakeFirstOrThrow();
        assert.equal(JSON.parse(audit.detail!).pending, false);

        const admin = await h.member();
        await h.db.updateTable('users').set({ is_admin: 1 }).where('id', '=', admin.id).execute();
        const org = await newOrgKey();
        const certificate = await certifyMemberKey(org.signingKey, c.keys.record);
        const body = { fingerprint: toBase64Url(await memberKeyFingerprint(c.keys.record)), certificate: toBase64Url(certificate) };
        const refused = await h.request('POST', `/admin/member-keys/${m.id}/certificate`, { token: admin.token, body });
        assert.equal(refused.status, 409);
        assert.equal(refused.body.code, 'org_key_not_configured');
        const listed = await h.request('GET', '/admin/member-keys?status=pending', { token: admin.token });
        assert.deepEqual((listed.body.keys as { memberId: string }[]).map((k) => k.memberId), [m.id]);

        // Even a certificate written into the database is not served: nothing could verify it.
        await h.db.updateTable('member_keys').set({ certificate, certified_at: h.clock.now() }).where('user_id', '=', m.id).execute();
        const lookup = await h.request('GET', `/members/${m.id}/key`, { token: admin.token });
        assert.equal(lookup.status, 404);
        assert.equal(lookup.body.code, 'member_key_unavailable');
      });
    });
  }
});

describe('member keys after a change of organisation key', async () => {
  it('treats keys certified by the previous key as pending again (sqlite)', async () => {
    const first = await newOrgKey();
    const second = await newOrgKey();
    // Both servers share one data folder's database: start with the first key, certify, then switch.
    const h1 = await Harness.start({ dialect: 'sqlite', env: { VALISE_ORG_PUBLIC_KEY: first.publicKey } });
    try {
      const m = await h1.member();
      const c = await clientKeys(m);
      assert.equal((await h1.request('PUT', '/me/keys', { token: m.token, body: setUpBody(c) })).status, 201);
      const certificate = await certifyMemberKey(first.signingKey, c.keys.record);
      await h1.db.updateTable('member_keys').set({ certificate, certified_at: 1 }).where('user_id', '=', m.id).execute();
      assert.equal((await h1.request('GET', `/members/${m.id}/key`, { token: m.token })).status, 200);
      // The same database served with another organisation key (a service built over the same context).
      const ctx = h1.server.ctx;
      const rotated = new MemberKeyService({ handle: ctx.database, audit: ctx.audit, clock: ctx.clock, logger: ctx.logger, orgPublicKey: second.publicKey });
      await assert.rejects(rotated.lookup({ memberId: m.id }), (e: { code?: string }) => e.code === 'member_key_unavailable');
      assert.deepEqual((await rotated.listForAdmin('pending')).keys.map((k) => [k.memberId, k.certifiedAt]), [[m.id, null]]);
      assert.deepEqual((await rotated.listForAdmin('certified')).keys, []);
    } finally {
      await h1.close();
    }
  });
});
