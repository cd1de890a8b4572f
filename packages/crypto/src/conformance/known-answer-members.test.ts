// The package reproduces every value of test-vectors/valise-v1-members.json (member keys, docs/format.md §11–§12),
// and opens, unwraps and verifies what it recorded.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { decryptMessage, deriveMessageKeys } from '../cobblestone/cobblestone.js';
import { COBBLESTONE_256 } from '../cobblestone/suite.js';
import { type Bytes, concatBytes, fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../encoding/encoding.js';
import { type SlotIdBytes, type TransferIdBytes, idFromBytes, idToText } from '../encoding/ids.js';
import { sha256 } from '../primitives/digest.js';
import { hkdfSha256 } from '../primitives/hkdf.js';
import { encodeContext } from '../transfer/context.js';
import type { ClientKey } from '../transfer/transfer-keys.js';
import { type AccountKey, type UnlockSecret, type UnlockWrap, passkeyPrfInput, unwrapAccountKey, wrapAccountKey } from '../members/account-key.js';
import { passphraseInfo, passphraseSecret } from '../members/argon2.js';
import { certifyMemberKey, checkCertifiedMemberKey, verifyMemberCertificate } from '../members/certificate.js';
import { hpkeOpen, importKemPrivateKey, kemPublicKeyOf } from '../members/hpke.js';
import { openKeyBundle, sealKeyBundle } from '../members/key-bundle.js';
import { verifyManifestSignature, signManifest } from '../members/manifest-signature.js';
import { type MemberKeyRecord, fingerprintText, memberKeyFingerprint, parseMemberKeyRecord, serializeMemberKeyRecord } from '../members/member-key.js';
import { memberSlotSize, openMemberSlot, sealMemberSlot } from '../members/member-slot.js';
import { orgKeyIdOf } from '../members/org-key-file.js';
import { decodeRecoveryCode, encodeRecoveryCode } from '../members/recovery-code.js';
import { safetyNumber } from '../members/safety-number.js';
import { importSigningKey } from '../members/signing.js';
import { hex, rejectsWith, toHex } from '../test-support/vectors.js';

interface MessageKeysJson { aeadKey: string; baseNonce: string; commitment: string }
interface MemberJson {
  memberId: string; email: string; createdAt: string;
  kemSeed: string; kemPrivateKeyPkcs8: string; kemPublicKey: string;
  sigSeed: string; sigPrivateKeyPkcs8: string; sigPublicKey: string;
  canonicalJson: string; fingerprint: string; fingerprintText: string;
}
interface WrapJson { wrapId: string; cobblestoneSalt: string; info: string; kek: string; context: string; messageKeys: MessageKeysJson; wrap: string; stored: UnlockWrap }
interface MemberVectors {
  inputs: {
    transferId: string; transferIdText: string; ck: string; memberSlotId: string; memberSlotIdText: string;
    uk: string; bundleSalt: string; orgSeed: string; ephemeralSeed: string; manifestJson: string;
  };
  alice: MemberJson;
  bob: MemberJson;
  org: {
    privateKeyPkcs8: string; publicKey: string; publicKeyText: string; orgKeyId: string; orgKeyIdText: string;
    orgKeyContext: string; certificateMessage: string; certificate: string;
  };
  keyBundle: { canonicalJson: string; context: string; messageKeys: MessageKeysJson; ciphertext: string };
  recovery: WrapJson & { codeBytes: string; code: string };
  passphrase: WrapJson & {
    passphrase: string; passphraseNfcUtf8: string; argon2: { m: number; t: number; p: number; salt: string }; argon2Output: string;
  };
  passkey: WrapJson & { prfOutput: string; credentialId: string; prfInput: string };
  safetyNumber: { fingerprintA: string; fingerprintB: string; groups: string[] };
  memberSlot: { deterministic: boolean; ephemeralPrivateKeyPkcs8: string; enc: string; info: string; sharedSecret: string; slot: string };
  manifestSignature: { manifestSha256: string; message: string; signature: string };
}

const v = JSON.parse(readFileSync(new URL('../../test-vectors/valise-v1-members.json', import.meta.url), 'utf8')) as MemberVectors;
const valiseV1 = JSON.parse(readFileSync(new URL('../../test-vectors/valise-v1.json', import.meta.url), 'utf8')) as { manifest: { canonicalJson: string } };
const X25519_PKCS8_PREFIX = '302e020100300506032b656e04220420';
const ED25519_PKCS8_PREFIX = '302e020100300506032b657004220420';

const transferId = hex(v.inputs.transferId) as TransferIdBytes;
const slotId = hex(v.inputs.memberSlotId) as SlotIdBytes;
const ck = hex(v.inputs.ck) as ClientKey;
const uk = hex(v.inputs.uk) as AccountKey;
const keysHex = (k: { key: Uint8Array; baseNonce: Uint8Array; commitment: Uint8Array }): MessageKeysJson => ({
  aeadKey: toHex(k.key), baseNonce: toHex(k.baseNonce), commitment: toHex(k.commitment),
});

/** The Ed25519 public key of a PKCS#8 private key (the package keeps signing keys non-extractable). */
async function ed25519PublicKey(pkcs8: Uint8Array): Promise<Bytes> {
  const key = await crypto.subtle.importKey('pkcs8', pkcs8 as BufferSource, { name: 'Ed25519' }, true, ['sign']);
  return fromBase64Url((await crypto.subtle.exportKey('jwk', key)).x ?? '', 32);
}

async function memberRecord(m: MemberJson): Promise<MemberKeyRecord> {
  assert.equal(m.kemPrivateKeyPkcs8, X25519_PKCS8_PREFIX + m.kemSeed);
  assert.equal(m.sigPrivateKeyPkcs8, ED25519_PKCS8_PREFIX + m.sigSeed);
  const kemPublicKey = kemPublicKeyOf(await importKemPrivateKey('X25519', hex(m.kemPrivateKeyPkcs8)));
  assert.equal(toHex(kemPublicKey), m.kemPublicKey);
  const sigPublicKey = await ed25519PublicKey(hex(m.sigPrivateKeyPkcs8));
  assert.equal(toHex(sigPublicKey), m.sigPublicKey);
  return {
    v: 1, type: 'valise/member-key', memberId: idToText(hex(m.memberId)), email: m.email,
    kem: 'X25519', kemPublicKey: toBase64Url(kemPublicKey), sig: 'Ed25519', sigPublicKey: toBase64Url(sigPublicKey), createdAt: m.createdAt,
  };
}

const alice = await memberRecord(v.alice);
const bob = await memberRecord(v.bob);
const aliceKeys = { record: alice, kemPrivateKeyPkcs8: hex(v.alice.kemPrivateKeyPkcs8), sigPrivateKeyPkcs8: hex(v.alice.sigPrivateKeyPkcs8) };
const orgPublicKey = hex(v.org.publicKey);

it('member key records: canonical JSON, strict parse, fingerprints', async () => {
  for (const [record, m] of [[alice, v.alice], [bob, v.bob]] as const) {
    assert.equal(fromUtf8(serializeMemberKeyRecord(record)), m.canonicalJson);
    assert.deepEqual(parseMemberKeyRecord(m.canonicalJson), record);
    const fingerprint = await memberKeyFingerprint(record);
    assert.equal(toHex(fingerprint), m.fingerprint);
    assert.equal(fingerprintText(fingerprint), m.fingerprintText);
  }
});

it('organisation key: public key, orgKeyId, certificate', async () => {
  assert.equal(v.org.privateKeyPkcs8, ED25519_PKCS8_PREFIX + v.inputs.orgSeed);
  assert.equal(toHex(await ed25519PublicKey(hex(v.org.privateKeyPkcs8))), v.org.publicKey);
  assert.equal(toBase64Url(orgPublicKey), v.org.publicKeyText);
  const orgKeyId = await orgKeyIdOf(orgPublicKey);
  assert.equal(toHex(orgKeyId), v.org.orgKeyId);
  assert.equal(idToText(orgKeyId), v.org.orgKeyIdText);
  assert.equal(toHex(encodeContext('valise/v1/org-key', orgKeyId)), v.org.orgKeyContext);
  const orgKey = await importSigningKey('Ed25519', hex(v.org.privateKeyPkcs8));
  assert.equal(toHex(await certifyMemberKey(orgKey, alice)), v.org.certificate);
  assert.equal(await verifyMemberCertificate(orgPublicKey, alice, hex(v.org.certificate)), true);
  assert.equal(await verifyMemberCertificate(orgPublicKey, bob, hex(v.org.certificate)), false);
  const certified = await checkCertifiedMemberKey(orgPublicKey, alice, hex(v.org.certificate), { memberId: alice.memberId, email: v.alice.email });
  assert.equal(toHex(certified.fingerprint), v.alice.fingerprint);
});

it('key bundle: canonical JSON, Cobblestone under UK, opens to the record\'s keys', async () => {
  const context = encodeContext('valise/v1/key-bundle', idFromBytes(hex(v.alice.memberId)));
  assert.equal(toHex(context), v.keyBundle.context);
  assert.deepEqual(keysHex(await deriveMessageKeys(COBBLESTONE_256, uk, hex(v.inputs.bundleSalt), context)), v.keyBundle.messageKeys);
  const bundleCt = await sealKeyBundle(uk, aliceKeys, { cobblestoneSalt: hex(v.inputs.bundleSalt) });
  assert.equal(toHex(bundleCt), v.keyBundle.ciphertext);
  assert.equal(fromUtf8(await decryptMessage(uk, context, bundleCt)), v.keyBundle.canonicalJson);
  const unlocked = await openKeyBundle(uk, alice, bundleCt);
  assert.equal(toHex(unlocked.fingerprint), v.alice.fingerprint);
  assert.equal(toHex(kemPublicKeyOf(unlocked.kemKey)), v.alice.kemPublicKey);
  await rejectsWith(openKeyBundle(uk, bob, bundleCt));
});

async function checkWrap(w: WrapJson, secret: UnlockSecret, options: Parameters<typeof wrapAccountKey>[3], s: Uint8Array, info: Uint8Array): Promise<void> {
  const memberId = hex(v.alice.memberId);
  const wrapId = hex(w.wrapId);
  assert.equal(toHex(info), w.info);
  assert.equal(toHex(await hkdfSha256(s, concatBytes(memberId, wrapId), info, 32)), w.kek);
  const context = encodeContext('valise/v1/account-key', memberId, wrapId);
  assert.equal(toHex(context), w.context);
  assert.deepEqual(keysHex(await deriveMessageKeys(COBBLESTONE_256, hex(w.kek), hex(w.cobblestoneSalt), context)), w.messageKeys);
  const wrap = await wrapAccountKey(uk, alice.memberId, secret, { ...options, wrapId: idToText(wrapId), cobblestoneSalt: hex(w.cobblestoneSalt) });
  assert.deepEqual(wrap, w.stored);
  assert.equal(toHex(fromBase64Url(wrap.wrapped)), w.wrap);
  assert.deepEqual(await unwrapAccountKey(w.stored, alice.memberId, secret), uk);
}

it('recovery code: Crockford base32 text, KEK, wrap of UK', async () => {
  const r = v.recovery;
  assert.equal(encodeRecoveryCode(hex(r.codeBytes)), r.code);
  assert.deepEqual(decodeRecoveryCode(r.code), hex(r.codeBytes));
  // What a person types: lowercase, spaces, O for 0, I or L for 1.
  const typed = r.code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l');
  assert.deepEqual(decodeRecoveryCode(typed), hex(r.codeBytes));
  await checkWrap(r, { kind: 'recovery', code: r.code }, {}, hex(r.codeBytes), utf8('valise/v1/unlock/recovery'));
});

it('passphrase: Argon2id output at the minimum parameters, KEK, wrap of UK', async () => {
  const p = v.passphrase;
  assert.notEqual(p.passphrase, p.passphrase.normalize('NFC'));
  assert.equal(toHex(utf8(p.passphrase.normalize('NFC'))), p.passphraseNfcUtf8);
  const params = { m: p.argon2.m, t: p.argon2.t, p: p.argon2.p };
  const s = await passphraseSecret(p.passphrase, hex(p.argon2.salt), params);
  assert.equal(toHex(s), p.argon2Output);
  await checkWrap(p, { kind: 'passphrase', passphrase: p.passphrase }, { params, salt: hex(p.argon2.salt) }, s, passphraseInfo(params));
  await rejectsWith(unwrapAccountKey(p.stored, alice.memberId, { kind: 'passphrase', passphrase: p.passphrase + '!' }), 'commitment_mismatch');
});

it('passkey: PRF input, KEK, wrap of UK', async () => {
  const k = v.passkey;
  assert.equal(toHex(passkeyPrfInput(idToText(hex(k.wrapId)))), k.prfInput);
  await checkWrap(k, { kind: 'passkey', prfOutput: hex(k.prfOutput), credentialId: k.credentialId }, {}, hex(k.prfOutput), utf8('valise/v1/unlock/passkey'));
});

it('safety number of two fingerprints, in either order', async () => {
  const { fingerprintA, fingerprintB, groups } = v.safetyNumber;
  assert.equal(fingerprintA, v.alice.fingerprint);
  assert.equal(fingerprintB, v.bob.fingerprint);
  assert.deepEqual(await safetyNumber(hex(fingerprintA), hex(fingerprintB)), groups);
  assert.deepEqual(await safetyNumber(hex(fingerprintB), hex(fingerprintA)), groups);
});

it('member slot: the recorded (fixed-ephemeral) slot opens; @hpke/core reproduces it; fresh slots open', async () => {
  const s = v.memberSlot;
  assert.equal(idToText(slotId), v.inputs.memberSlotIdText);
  const info = concatBytes(utf8('valise/v1/member-slot'), Uint8Array.of(0), transferId, slotId, hex(v.alice.fingerprint));
  assert.equal(toHex(info), s.info);
  const unlocked = await openKeyBundle(uk, alice, hex(v.keyBundle.ciphertext));
  const slot = hex(s.slot);
  assert.equal(slot.length, memberSlotSize('X25519'));
  assert.deepEqual(await openMemberSlot(unlocked, transferId, slotId, slot), ck);
  assert.deepEqual(await hpkeOpen('X25519', unlocked.kemKey, info, slot), ck);
  await rejectsWith(openMemberSlot(unlocked, transferId, hex(v.inputs.transferId) as SlotIdBytes, slot), 'authentication_failed');

  // The package's seal draws its ephemeral key; the library it runs takes a fixed one (`ekm`) for tests.
  assert.equal(s.deterministic, true);
  assert.equal(s.ephemeralPrivateKeyPkcs8, X25519_PKCS8_PREFIX + v.inputs.ephemeralSeed);
  const ephemeral = await importKemPrivateKey('X25519', hex(s.ephemeralPrivateKeyPkcs8));
  assert.equal(toHex(kemPublicKeyOf(ephemeral)), s.enc);
  const ekm: CryptoKeyPair = {
    privateKey: await crypto.subtle.importKey('pkcs8', hex(s.ephemeralPrivateKeyPkcs8), { name: 'X25519' }, false, ['deriveBits']),
    publicKey: await crypto.subtle.importKey('raw', hex(s.enc), { name: 'X25519' }, true, []),
  };
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const pkR = await suite.kem.deserializePublicKey(hex(v.alice.kemPublicKey));
  assert.equal(toHex(new Uint8Array((await suite.kem.encap({ recipientPublicKey: pkR, ekm })).sharedSecret)), s.sharedSecret);
  const sender = await suite.createSenderContext({ recipientPublicKey: pkR, info, ekm });
  assert.equal(toHex(concatBytes(new Uint8Array(sender.enc), new Uint8Array(await sender.seal(ck)))), s.slot);

  const certified = await checkCertifiedMemberKey(orgPublicKey, alice, hex(v.org.certificate), { memberId: alice.memberId });
  const fresh = await sealMemberSlot(certified, transferId, slotId, ck);
  assert.equal(fresh.length, slot.length);
  assert.notEqual(toHex(fresh), s.slot);
  assert.deepEqual(await openMemberSlot(unlocked, transferId, slotId, fresh), ck);
});

it('manifest signature: message, Ed25519 signature, verification', async () => {
  const m = v.manifestSignature;
  assert.equal(v.inputs.manifestJson, valiseV1.manifest.canonicalJson);
  assert.equal(idToText(transferId), v.inputs.transferIdText);
  const manifestBytes = utf8(v.inputs.manifestJson);
  assert.equal(toHex(await sha256(manifestBytes)), m.manifestSha256);
  const message = concatBytes(utf8('valise/v1/manifest-signature'), Uint8Array.of(0), transferId, hex(v.alice.fingerprint), await sha256(manifestBytes));
  assert.equal(toHex(message), m.message);
  const unlocked = await openKeyBundle(uk, alice, hex(v.keyBundle.ciphertext));
  assert.equal(toHex(await signManifest(unlocked, transferId, manifestBytes)), m.signature);
  const certified = await checkCertifiedMemberKey(orgPublicKey, alice, hex(v.org.certificate), { memberId: alice.memberId });
  assert.equal(await verifyManifestSignature(certified, transferId, manifestBytes, hex(m.signature)), true);
  assert.equal(await verifyManifestSignature(certified, transferId, utf8(v.inputs.manifestJson + ' '), hex(m.signature)), false);
  // "valise/v1/manifest-signature" (28) ‖ 0x00 ‖ transferId (16) ‖ fpS (32) ‖ SHA-256 (32).
  assert.equal(message.length, 28 + 1 + 16 + 32 + 32);
});
