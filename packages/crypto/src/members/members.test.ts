// Member keys (docs/format.md §11–12): records, certificates, bundles, unlock methods, safety numbers, slots, signatures.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Bytes, fromBase64Url, toBase64Url, utf8 } from '../encoding/encoding.js';
import { idToText, newId } from '../encoding/ids.js';
import { CryptoError } from '../errors.js';
import { rejectsWith } from '../test-support/vectors.js';
import { newSecret } from '../transfer/transfer-keys.js';
import { type UnlockWrap, newAccountKey, passkeyPrfInput, unwrapAccountKey, wrapAccountKey } from './account-key.js';
import { ARGON2_MIN, type Argon2Job, runArgon2Here, setArgon2Runner } from './argon2.js';
import { certifyMemberKey, checkCertifiedMemberKey, verifyMemberCertificate } from './certificate.js';
import { openKeyBundle, sealKeyBundle } from './key-bundle.js';
import { signManifest, verifyManifestSignature } from './manifest-signature.js';
import { generateMemberKeys, memberKeyFingerprint, parseMemberKeyRecord, serializeMemberKeyRecord } from './member-key.js';
import { memberSlotSize, openMemberSlot, sealMemberSlot } from './member-slot.js';
import { createOrgKeyFile, parseOrgKeyFile, unlockOrgKey } from './org-key-file.js';
import { decodeRecoveryCode, encodeRecoveryCode, newRecoveryCode } from './recovery-code.js';
import { safetyNumber } from './safety-number.js';
import { generateSigKeyPair, importSigningKey } from './signing.js';

const orgPair = await generateSigKeyPair('Ed25519');
const orgKey = await importSigningKey('Ed25519', orgPair.privateKeyPkcs8);
const otherOrg = await generateSigKeyPair('Ed25519');

async function member(email: string, algorithms: { kem?: 'X25519' | 'P-256'; sig?: 'Ed25519' | 'ECDSA-P256' } = {}) {
  const memberId = idToText(newId<'MemberId'>());
  const keys = await generateMemberKeys(memberId, email, algorithms);
  const uk = newAccountKey();
  const bundle = await sealKeyBundle(uk, keys);
  const certificate = await certifyMemberKey(orgKey, keys.record);
  const unlocked = await openKeyBundle(uk, keys.record, bundle);
  const certified = await checkCertifiedMemberKey(orgPair.publicKey, keys.record, certificate, { memberId });
  return { memberId, keys, uk, bundle, certificate, unlocked, certified };
}

const alice = await member('alice@hospital.example');
const bob = await member('bob@hospital.example');
const carol = await member('carol@lab.example', { kem: 'P-256', sig: 'ECDSA-P256' });

describe('member key record', () => {
  it('round-trips through its canonical bytes and has a stable 32-byte fingerprint', async () => {
    const bytes = serializeMemberKeyRecord(alice.keys.record);
    assert.deepEqual(parseMemberKeyRecord(bytes), alice.keys.record);
    const fp = await memberKeyFingerprint(parseMemberKeyRecord(new TextDecoder().decode(bytes)));
    assert.equal(fp.length, 32);
    assert.deepEqual(fp, alice.unlocked.fingerprint);
    assert.notDeepEqual(fp, bob.unlocked.fingerprint);
  });

  it('refuses non-canonical text, extra or missing keys, wrong lengths, uppercase addresses, unknown algorithms', () => {
    const text = new TextDecoder().decode(serializeMemberKeyRecord(alice.keys.record));
    const obj = JSON.parse(text) as Record<string, unknown>;
    const variants: string[] = [
      JSON.stringify(obj, null, 1), // whitespace
      JSON.stringify({ ...obj, extra: 1 }),
      JSON.stringify({ ...obj, kemPublicKey: toBase64Url(new Uint8Array(31)) }),
      JSON.stringify({ ...obj, email: 'Alice@hospital.example' }),
      JSON.stringify({ ...obj, kem: 'X448' }),
      JSON.stringify({ ...obj, v: 2 }),
      JSON.stringify({ ...obj, createdAt: '2025-13-01T00:00:00.000Z' }),
    ];
    for (const variant of variants) {
      assert.throws(() => parseMemberKeyRecord(variant), (e: unknown) => e instanceof CryptoError && e.code === 'record_invalid', variant.slice(0, 60));
    }
  });
});

describe('certificates', () => {
  it('verify only under the organisation key that signed this exact record', async () => {
    assert.equal(await verifyMemberCertificate(orgPair.publicKey, alice.keys.record, alice.certificate), true);
    assert.equal(await verifyMemberCertificate(otherOrg.publicKey, alice.keys.record, alice.certificate), false);
    assert.equal(await verifyMemberCertificate(orgPair.publicKey, bob.keys.record, alice.certificate), false);
    const flipped = new Uint8Array(alice.certificate);
    flipped[10]! ^= 1;
    assert.equal(await verifyMemberCertificate(orgPair.publicKey, alice.keys.record, flipped), false);
  });

  it('a key served for the wrong member, or unsigned, or signed by another key is refused (key substitution)', async () => {
    // A server answering "alice" with a key it made itself, for alice's id and address: no organisation signature.
    const forged = await generateMemberKeys(alice.memberId, alice.keys.record.email);
    await rejectsWith(checkCertifiedMemberKey(orgPair.publicKey, forged.record, alice.certificate, { memberId: alice.memberId }), 'signature_invalid');
    await rejectsWith(checkCertifiedMemberKey(orgPair.publicKey, forged.record, null, { email: alice.keys.record.email }), 'signature_invalid');
    // Bob's genuine, certified key served as alice's.
    await rejectsWith(checkCertifiedMemberKey(orgPair.publicKey, bob.keys.record, bob.certificate, { memberId: alice.memberId }), 'record_invalid');
    await rejectsWith(checkCertifiedMemberKey(orgPair.publicKey, bob.keys.record, bob.certificate, { email: 'alice@hospital.example' }), 'record_invalid');
    const ok = await checkCertifiedMemberKey(orgPair.publicKey, bob.keys.record, bob.certificate, { email: 'BOB@hospital.example' });
    assert.deepEqual(ok.fingerprint, bob.unlocked.fingerprint);
  });
});

describe('key bundle', () => {
  it('opens only with UK and only for the record it was made with', async () => {
    await rejectsWith(openKeyBundle(newAccountKey(), alice.keys.record, alice.bundle), 'commitment_mismatch');
    // A server swapping in bob's record for alice: the context (memberId) differs.
    await rejectsWith(openKeyBundle(alice.uk, bob.keys.record, alice.bundle), 'commitment_mismatch');
    // Same member id, other public keys (a substituted record): the bundle does not match it.
    const swapped = await generateMemberKeys(alice.memberId, alice.keys.record.email);
    await rejectsWith(openKeyBundle(alice.uk, swapped.record, alice.bundle), 'record_invalid');
  });

  it('P-256 / ECDSA keys work end to end like X25519 / Ed25519', async () => {
    assert.equal(carol.keys.record.kem, 'P-256');
    assert.equal(carol.keys.record.sig, 'ECDSA-P256');
    assert.equal(fromBase64Url(carol.keys.record.kemPublicKey).length, 65);
  });
});

describe('unlock methods', () => {
  const uk = newAccountKey();
  const memberId = idToText(newId<'MemberId'>());

  it('a passphrase wrap opens with the passphrase only, and binds its Argon2id parameters', async () => {
    const wrap = await wrapAccountKey(uk, memberId, { kind: 'passphrase', passphrase: 'correct horse battery' });
    assert.deepEqual({ m: wrap.argon2!.m, t: wrap.argon2!.t, p: wrap.argon2!.p }, ARGON2_MIN);
    assert.equal(fromBase64Url(wrap.wrapped).length, 104);
    assert.deepEqual(await unwrapAccountKey(wrap, memberId, { kind: 'passphrase', passphrase: 'correct horse battery' }), uk);
    await rejectsWith(unwrapAccountKey(wrap, memberId, { kind: 'passphrase', passphrase: 'correct horse batterY' }), 'commitment_mismatch');
    // A server raising t (still within bounds) changes the key: the wrap no longer opens.
    const altered: UnlockWrap = { ...wrap, argon2: { ...wrap.argon2!, t: 4 } };
    await rejectsWith(unwrapAccountKey(altered, memberId, { kind: 'passphrase', passphrase: 'correct horse battery' }), 'commitment_mismatch');
    // A server lowering the cost is refused before any work.
    const weak: UnlockWrap = { ...wrap, argon2: { ...wrap.argon2!, m: 1024 } };
    await rejectsWith(unwrapAccountKey(weak, memberId, { kind: 'passphrase', passphrase: 'correct horse battery' }), 'parameters_refused');
    const absurd: UnlockWrap = { ...wrap, argon2: { ...wrap.argon2!, m: 4_194_304 } };
    await rejectsWith(unwrapAccountKey(absurd, memberId, { kind: 'passphrase', passphrase: 'correct horse battery' }), 'parameters_refused');
    await rejectsWith(wrapAccountKey(uk, memberId, { kind: 'passphrase', passphrase: 'short' }), 'invalid_argument');
    // Moved to another member: the context and salt differ.
    await rejectsWith(unwrapAccountKey(wrap, idToText(newId()), { kind: 'passphrase', passphrase: 'correct horse battery' }), 'commitment_mismatch');
  });

  it('Argon2id may run elsewhere (a page\'s worker): the same secret; bounds checked before; a wrong size refused', async (t) => {
    t.after(() => setArgon2Runner(null));
    const wrap = await wrapAccountKey(uk, memberId, { kind: 'passphrase', passphrase: 'correct horse battery' });
    const jobs: Argon2Job[] = [];
    setArgon2Runner(async (job) => {
      jobs.push(job);
      return runArgon2Here(job);
    });
    assert.deepEqual(await unwrapAccountKey(wrap, memberId, { kind: 'passphrase', passphrase: 'correct horse battery' }), uk);
    assert.equal(jobs.length, 1);
    assert.deepEqual(jobs[0]!.params, ARGON2_MIN);
    assert.deepEqual(jobs[0]!.password, utf8('correct horse battery'));
    const weak: UnlockWrap = { ...wrap, argon2: { ...wrap.argon2!, m: 1024 } };
    await rejectsWith(unwrapAccountKey(weak, memberId, { kind: 'passphrase', passphrase: 'correct horse battery' }), 'parameters_refused');
    assert.equal(jobs.length, 1, 'weak parameters never reach the runner');
    setArgon2Runner(async () => new Uint8Array(16));
    await rejectsWith(unwrapAccountKey(wrap, memberId, { kind: 'passphrase', passphrase: 'correct horse battery' }), 'invalid_length');
    setArgon2Runner(null);
    assert.deepEqual(await unwrapAccountKey(wrap, memberId, { kind: 'passphrase', passphrase: 'correct horse battery' }), uk);
  });

  it('a recovery code opens its wrap, typed sloppily, and nothing else does', async () => {
    const code = newRecoveryCode();
    assert.match(code, /^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$/);
    const wrap = await wrapAccountKey(uk, memberId, { kind: 'recovery', code });
    assert.equal(wrap.argon2, null);
    const sloppy = code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l');
    assert.deepEqual(await unwrapAccountKey(wrap, memberId, { kind: 'recovery', code: sloppy }), uk);
    await rejectsWith(unwrapAccountKey(wrap, memberId, { kind: 'recovery', code: newRecoveryCode() }), 'commitment_mismatch');
    await rejectsWith(unwrapAccountKey(wrap, memberId, { kind: 'recovery', code: code.slice(0, -1) }), 'invalid_encoding');
    await rejectsWith(unwrapAccountKey(wrap, memberId, { kind: 'recovery', code: `${code.slice(0, -1)}U` }), 'invalid_encoding');
    await rejectsWith(unwrapAccountKey({ ...wrap, kind: 'passphrase' }, memberId, { kind: 'recovery', code }), 'invalid_argument');
  });

  it('recovery codes encode 20 bytes exactly and decode back', () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => i * 13);
    assert.deepEqual(decodeRecoveryCode(encodeRecoveryCode(bytes)), bytes);
    assert.equal(encodeRecoveryCode(new Uint8Array(20)), '0000-0000-0000-0000-0000-0000-0000-0000');
    assert.equal(encodeRecoveryCode(new Uint8Array(20).fill(255)), 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ');
  });

  it('a passkey wrap opens with the same PRF output, bound to its wrap id', async () => {
    const wrapId = idToText(newId<'WrapId'>());
    const prfOutput = newSecret<'ClientKey'>();
    const wrap = await wrapAccountKey(uk, memberId, { kind: 'passkey', prfOutput, credentialId: 'Y3JlZA' }, { wrapId });
    assert.equal(wrap.credentialId, 'Y3JlZA');
    assert.equal(passkeyPrfInput(wrapId).length, 'valise/v1/passkey-prf'.length + 1 + 16);
    assert.deepEqual(await unwrapAccountKey(wrap, memberId, { kind: 'passkey', prfOutput, credentialId: 'Y3JlZA' }), uk);
    await rejectsWith(unwrapAccountKey(wrap, memberId, { kind: 'passkey', prfOutput: newSecret<'ClientKey'>(), credentialId: 'Y3JlZA' }), 'commitment_mismatch');
  });
});

describe('organisation key file', () => {
  it('seals the org key under a passphrase; the unlocked key certifies members', async () => {
    const { bytes } = await createOrgKeyFile('the organisation passphrase');
    const file = await parseOrgKeyFile(bytes);
    const key = await unlockOrgKey(file, 'the organisation passphrase');
    const cert = await certifyMemberKey(key, alice.keys.record);
    assert.equal(await verifyMemberCertificate(fromBase64Url(file.publicKey), alice.keys.record, cert), true);
    await rejectsWith(unlockOrgKey(file, 'the organisation passphrasE'), 'commitment_mismatch');
    const tampered = JSON.stringify({ ...JSON.parse(new TextDecoder().decode(bytes)), orgKeyId: idToText(newId()) });
    await rejectsWith(parseOrgKeyFile(utf8(tampered)), 'record_invalid');
  });
});

describe('safety numbers', () => {
  it('are twelve groups of five digits, the same from both sides, different for another pair', async () => {
    const ab = await safetyNumber(alice.unlocked.fingerprint, bob.unlocked.fingerprint);
    const ba = await safetyNumber(bob.unlocked.fingerprint, alice.unlocked.fingerprint);
    assert.equal(ab.length, 12);
    for (const g of ab) assert.match(g, /^\d{5}$/);
    assert.deepEqual(ab, ba);
    assert.notDeepEqual(await safetyNumber(alice.unlocked.fingerprint, carol.unlocked.fingerprint), ab);
  });
});

describe('member slots', () => {
  const transferId = newId<'TransferId'>();
  const slotId = newId<'SlotId'>();
  const ck = newSecret<'ClientKey'>();

  for (const who of [bob, carol]) {
    it(`carry CK to a ${who.keys.record.kem} recipient and only to them`, async () => {
      const slot = await sealMemberSlot(who.certified, transferId, slotId, ck);
      assert.equal(slot.length, memberSlotSize(who.keys.record.kem));
      assert.deepEqual(await openMemberSlot(who.unlocked, transferId, slotId, slot), ck);
      await rejectsWith(openMemberSlot(who.unlocked, newId<'TransferId'>(), slotId, slot), 'authentication_failed');
      await rejectsWith(openMemberSlot(who.unlocked, transferId, newId<'SlotId'>(), slot), 'authentication_failed');
      await rejectsWith(openMemberSlot(who.unlocked, transferId, slotId, slot.subarray(1)), 'invalid_length');
      const flipped = new Uint8Array(slot);
      flipped[slot.length - 1]! ^= 1;
      await rejectsWith(openMemberSlot(who.unlocked, transferId, slotId, flipped), 'authentication_failed');
    });
  }

  it('a slot sealed to one member does not open for another', async () => {
    const slot = await sealMemberSlot(bob.certified, transferId, slotId, ck);
    await rejectsWith(openMemberSlot(alice.unlocked, transferId, slotId, slot), 'authentication_failed');
  });
});

describe('signed manifests', () => {
  const transferId = newId<'TransferId'>();
  const manifest: Bytes = utf8('{"v":1}');

  for (const sender of [alice, carol]) {
    it(`verify for the exact bytes and the ${sender.keys.record.sig} sender who signed them`, async () => {
      const signature = await signManifest(sender.unlocked, transferId, manifest);
      assert.equal(signature.length, 64);
      assert.equal(await verifyManifestSignature(sender.certified, transferId, manifest, signature), true);
      assert.equal(await verifyManifestSignature(sender.certified, transferId, utf8('{"v":2}'), signature), false);
      assert.equal(await verifyManifestSignature(sender.certified, newId<'TransferId'>(), manifest, signature), false);
      assert.equal(await verifyManifestSignature(bob.certified, transferId, manifest, signature), false);
    });
  }
});

