#!/usr/bin/env node
// Generates test-vectors/valise-v1-members.json: known-answer vectors for the member-key objects of
// docs/format.md §11–§12 (records, fingerprints, certificates, key bundles, unlock wraps, recovery codes,
// safety numbers, member slots, manifest signatures), from fixed inputs, with the built package.
// Usage (from the repo root): npx tsc -b packages/crypto && node packages/crypto/scripts/make-member-vectors.mjs
// The JSON is committed; tests check that the package reproduces it and re-derive it with node:crypto alone.
import { readFileSync, writeFileSync } from 'node:fs';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { argon2id } from 'hash-wasm';
import canonicalize from 'canonicalize';
import {
  COBBLESTONE_256, certifyMemberKey, decryptMessage, checkCertifiedMemberKey, deriveMessageKeys, encodeContext, encodeRecoveryCode,
  fingerprintText, fromBase64Url, hkdfSha256, idToText, importSigningKey, memberKeyFingerprint, memberSlotSize,
  openKeyBundle, openMemberSlot, orgKeyIdOf, passkeyPrfInput, safetyNumber, sealKeyBundle, serializeMemberKeyRecord,
  sign, signManifest, toBase64Url, unwrapAccountKey, verifyManifestSignature, wrapAccountKey,
} from '../dist/index.js';

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const text = (bytes) => new TextDecoder().decode(bytes);
const utf8 = (s) => new TextEncoder().encode(s);
const concat = (...parts) => Uint8Array.from(Buffer.concat(parts.map((p) => Buffer.from(p))));
/** bytes start, start+1, … (mod 256): recognisable fixed inputs. */
const seq = (start, length) => Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
const assert = (ok, what) => {
  if (!ok) throw new Error(`self-check failed: ${what}`);
};

// PKCS#8 of a 32-byte seed (RFC 8410): these prefixes, then the seed.
const X25519_PKCS8_PREFIX = '302e020100300506032b656e04220420';
const ED25519_PKCS8_PREFIX = '302e020100300506032b657004220420';
const pkcs8 = (prefix, seed) => concat(Buffer.from(prefix, 'hex'), seed);

/** Imports a seed's PKCS#8 with WebCrypto and reads the raw public key from its JWK export. */
async function publicKeyOf(algorithm, pkcs8Bytes) {
  const usages = algorithm === 'X25519' ? ['deriveBits'] : ['sign'];
  const key = await crypto.subtle.importKey('pkcs8', pkcs8Bytes, { name: algorithm }, true, usages);
  return fromBase64Url((await crypto.subtle.exportKey('jwk', key)).x, 32);
}

// ---- Inputs ----------------------------------------------------------------------------------------------
const valise = JSON.parse(readFileSync(new URL('../test-vectors/valise-v1.json', import.meta.url), 'utf8'));
const transferId = Buffer.from(valise.inputs.transferId, 'hex'); // a0…af, as in §10
const ck = Buffer.from(valise.inputs.ck, 'hex'); // 00…1f, as in §10
const manifestJson = valise.manifest.canonicalJson; // the manifest of §10

const alice = {
  memberId: seq(0xe0, 16), email: 'alice@example.org', createdAt: '2025-01-01T00:00:00.000Z',
  kemSeed: seq(0x20, 32), sigSeed: seq(0x40, 32),
};
const bob = {
  memberId: seq(0xf0, 16), email: 'bob@example.org', createdAt: '2025-01-02T00:00:00.000Z',
  kemSeed: seq(0xc0, 32), sigSeed: seq(0xd0, 32),
};
const orgSeed = seq(0x60, 32);
const uk = seq(0x80, 32);
const bundleSalt = seq(0x10, 24);
const memberSlotId = seq(0x90, 16);
const ephemeralSeed = seq(0xb0, 32);
const recovery = { codeBytes: seq(0x30, 20), wrapId: seq(0x50, 16), cobblestoneSalt: seq(0x58, 24) };
// NFD on purpose ("e" + U+0301): S is computed over UTF-8(NFC(passphrase)).
const passphrase = {
  passphrase: 'Cheval correct, agrafe de batterie — e\u0301te\u0301 2025',
  argon2: { m: 65_536, t: 3, p: 4 }, salt: seq(0x70, 16), wrapId: seq(0x88, 16), cobblestoneSalt: seq(0x98, 24),
};
const passkey = { prfOutput: seq(0xc8, 32), wrapId: seq(0xe8, 16), cobblestoneSalt: seq(0xf8, 24), credentialId: toBase64Url(seq(0x01, 16)) };

// ---- Member key records and fingerprints (§11.2) ---------------------------------------------------------
async function memberKeys(m) {
  const kemPkcs8 = pkcs8(X25519_PKCS8_PREFIX, m.kemSeed);
  const sigPkcs8 = pkcs8(ED25519_PKCS8_PREFIX, m.sigSeed);
  const record = {
    v: 1, type: 'valise/member-key', memberId: idToText(m.memberId), email: m.email,
    kem: 'X25519', kemPublicKey: toBase64Url(await publicKeyOf('X25519', kemPkcs8)),
    sig: 'Ed25519', sigPublicKey: toBase64Url(await publicKeyOf('Ed25519', sigPkcs8)),
    createdAt: m.createdAt,
  };
  const recordJson = text(serializeMemberKeyRecord(record));
  const fingerprint = await memberKeyFingerprint(record);
  return { record, recordJson, fingerprint, kemPkcs8, sigPkcs8 };
}
const a = await memberKeys(alice);
const b = await memberKeys(bob);

// ---- Organisation key and certificate (§11.3) ------------------------------------------------------------
const orgPkcs8 = pkcs8(ED25519_PKCS8_PREFIX, orgSeed);
const orgPublicKey = await publicKeyOf('Ed25519', orgPkcs8);
const orgKey = await importSigningKey('Ed25519', orgPkcs8);
const orgKeyId = await orgKeyIdOf(orgPublicKey);
const certificate = await certifyMemberKey(orgKey, a.record);
const certified = await checkCertifiedMemberKey(orgPublicKey, a.record, certificate, { memberId: a.record.memberId, email: alice.email });

// ---- Key bundle (§11.4) ----------------------------------------------------------------------------------
const bundle = {
  v: 1, type: 'valise/member-private-keys', memberId: a.record.memberId,
  kem: 'X25519', kemPublicKey: a.record.kemPublicKey, kemPrivateKey: toBase64Url(a.kemPkcs8),
  sig: 'Ed25519', sigPublicKey: a.record.sigPublicKey, sigPrivateKey: toBase64Url(a.sigPkcs8),
};
const bundleContext = encodeContext('valise/v1/key-bundle', alice.memberId);
const bundleCt = await sealKeyBundle(uk, { record: a.record, kemPrivateKeyPkcs8: a.kemPkcs8, sigPrivateKeyPkcs8: a.sigPkcs8 }, { cobblestoneSalt: bundleSalt });
const unlocked = await openKeyBundle(uk, a.record, bundleCt);
const bundleJson = text(await decryptMessage(uk, bundleContext, bundleCt));
assert(bundleJson === canonicalize(bundle), 'bundle JSON');

// ---- Unlock wraps (§11.5) --------------------------------------------------------------------------------
const accountKeyContext = (wrapId) => encodeContext('valise/v1/account-key', alice.memberId, wrapId);
const memberIdText = a.record.memberId;

const recoveryCode = encodeRecoveryCode(recovery.codeBytes);
const recoveryInfo = utf8('valise/v1/unlock/recovery');
const recoveryKek = await hkdfSha256(recovery.codeBytes, concat(alice.memberId, recovery.wrapId), recoveryInfo, 32);
const recoveryWrap = await wrapAccountKey(uk, memberIdText, { kind: 'recovery', code: recoveryCode },
  { wrapId: idToText(recovery.wrapId), cobblestoneSalt: recovery.cobblestoneSalt });

const { m, t, p } = passphrase.argon2;
const passphraseNfc = utf8(passphrase.passphrase.normalize('NFC'));
const argon2Output = await argon2id({
  password: passphraseNfc, salt: passphrase.salt, iterations: t, parallelism: p, memorySize: m, hashLength: 32, outputType: 'binary',
});
const u32 = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const passphraseInfo = concat(utf8('valise/v1/unlock/passphrase'), [0], u32(m), u32(t), u32(p));
const passphraseKek = await hkdfSha256(argon2Output, concat(alice.memberId, passphrase.wrapId), passphraseInfo, 32);
const passphraseWrap = await wrapAccountKey(uk, memberIdText, { kind: 'passphrase', passphrase: passphrase.passphrase },
  { params: passphrase.argon2, salt: passphrase.salt, wrapId: idToText(passphrase.wrapId), cobblestoneSalt: passphrase.cobblestoneSalt });

const passkeyInfo = utf8('valise/v1/unlock/passkey');
const passkeyKek = await hkdfSha256(passkey.prfOutput, concat(alice.memberId, passkey.wrapId), passkeyInfo, 32);
const passkeyWrap = await wrapAccountKey(uk, memberIdText, { kind: 'passkey', prfOutput: passkey.prfOutput, credentialId: passkey.credentialId },
  { wrapId: idToText(passkey.wrapId), cobblestoneSalt: passkey.cobblestoneSalt });

for (const [wrap, secret] of [
  [recoveryWrap, { kind: 'recovery', code: recoveryCode }],
  [passphraseWrap, { kind: 'passphrase', passphrase: passphrase.passphrase }],
  [passkeyWrap, { kind: 'passkey', prfOutput: passkey.prfOutput, credentialId: passkey.credentialId }],
]) {
  assert(hex(await unwrapAccountKey(wrap, memberIdText, secret)) === hex(uk), `${wrap.kind} wrap opens to UK`);
}

// ---- Safety number (§11.7) -------------------------------------------------------------------------------
const safety = await safetyNumber(a.fingerprint, b.fingerprint);
assert((await safetyNumber(b.fingerprint, a.fingerprint)).join(' ') === safety.join(' '), 'safety number is symmetric');

// ---- Member slot (§12.1) ---------------------------------------------------------------------------------
// HPKE is randomized: the package's sealMemberSlot draws a fresh ephemeral key. @hpke/core (which the package
// runs) accepts a fixed ephemeral key pair `ekm` for testing; with it the slot is deterministic.
const slotInfo = concat(utf8('valise/v1/member-slot'), [0], transferId, memberSlotId, a.fingerprint);
const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
const ephemeralPkcs8 = pkcs8(X25519_PKCS8_PREFIX, ephemeralSeed);
const ephemeralPublicKey = await publicKeyOf('X25519', ephemeralPkcs8);
const ekm = {
  privateKey: await crypto.subtle.importKey('pkcs8', ephemeralPkcs8, { name: 'X25519' }, true, ['deriveBits']),
  publicKey: await crypto.subtle.importKey('raw', ephemeralPublicKey, { name: 'X25519' }, true, []),
};
const pkR = await suite.kem.deserializePublicKey(fromBase64Url(a.record.kemPublicKey));
const { sharedSecret } = await suite.kem.encap({ recipientPublicKey: pkR, ekm });
const sender = await suite.createSenderContext({ recipientPublicKey: pkR, info: slotInfo, ekm });
const slot = concat(new Uint8Array(sender.enc), new Uint8Array(await sender.seal(ck)));
assert(slot.length === memberSlotSize('X25519'), 'slot length');
assert(hex(await openMemberSlot(unlocked, transferId, memberSlotId, slot)) === hex(ck), 'member slot opens to CK');

// ---- Manifest signature (§12.2) --------------------------------------------------------------------------
const manifestBytes = utf8(manifestJson);
const manifestSha256 = new Uint8Array(await crypto.subtle.digest('SHA-256', manifestBytes));
const signatureMessage = concat(utf8('valise/v1/manifest-signature'), [0], transferId, a.fingerprint, manifestSha256);
const manifestSignature = await signManifest(unlocked, transferId, manifestBytes);
assert(hex(manifestSignature) === hex(await sign(unlocked.signingKey, signatureMessage)), 'signature message');
assert(await verifyManifestSignature(certified, transferId, manifestBytes, manifestSignature), 'manifest signature verifies');

const messageKeysJson = (k) => ({ aeadKey: hex(k.key), baseNonce: hex(k.baseNonce), commitment: hex(k.commitment) });
const wrapJson = async (wrap, wrapId, salt, kek, extra) => {
  const context = accountKeyContext(wrapId);
  return {
    ...extra,
    kek: hex(kek),
    context: hex(context),
    messageKeys: messageKeysJson(await deriveMessageKeys(COBBLESTONE_256, kek, salt, context)),
    wrap: hex(fromBase64Url(wrap.wrapped)),
    stored: wrap,
  };
};
const recordJson = (m, k) => ({
  memberId: hex(m.memberId), email: m.email, createdAt: m.createdAt,
  kemSeed: hex(m.kemSeed), kemPrivateKeyPkcs8: hex(k.kemPkcs8), kemPublicKey: hex(fromBase64Url(k.record.kemPublicKey)),
  sigSeed: hex(m.sigSeed), sigPrivateKeyPkcs8: hex(k.sigPkcs8), sigPublicKey: hex(fromBase64Url(k.record.sigPublicKey)),
  canonicalJson: k.recordJson,
  fingerprint: hex(k.fingerprint),
  fingerprintText: fingerprintText(k.fingerprint),
});

const vectors = {
  format: 'valise/v1',
  description: 'Known-answer vectors for the member-key objects of Valise format v1 (docs/format.md §11–§12). '
    + 'Binary values are hex unless named *Text (base64url), *Json or *Code. Private keys are PKCS#8 of a 32-byte seed (RFC 8410).',
  generator: 'packages/crypto/scripts/make-member-vectors.mjs',
  inputs: {
    transferId: hex(transferId), transferIdText: idToText(transferId), ck: hex(ck),
    memberSlotId: hex(memberSlotId), memberSlotIdText: idToText(memberSlotId),
    uk: hex(uk), bundleSalt: hex(bundleSalt), orgSeed: hex(orgSeed), ephemeralSeed: hex(ephemeralSeed),
    manifestJson,
    manifestNote: 'the manifest canonical JSON of valise-v1.json (§10)',
  },
  alice: recordJson(alice, a),
  bob: recordJson(bob, b),
  org: {
    privateKeyPkcs8: hex(orgPkcs8),
    publicKey: hex(orgPublicKey), publicKeyText: toBase64Url(orgPublicKey),
    orgKeyId: hex(orgKeyId), orgKeyIdText: idToText(orgKeyId),
    orgKeyContext: hex(encodeContext('valise/v1/org-key', orgKeyId)),
    certificateMessage: hex(concat(utf8('valise/v1/member-certificate'), [0], a.fingerprint)),
    certificate: hex(certificate),
  },
  keyBundle: {
    canonicalJson: bundleJson,
    context: hex(bundleContext),
    messageKeys: messageKeysJson(await deriveMessageKeys(COBBLESTONE_256, uk, bundleSalt, bundleContext)),
    ciphertext: hex(bundleCt),
  },
  recovery: await wrapJson(recoveryWrap, recovery.wrapId, recovery.cobblestoneSalt, recoveryKek, {
    codeBytes: hex(recovery.codeBytes), code: recoveryCode,
    wrapId: hex(recovery.wrapId), cobblestoneSalt: hex(recovery.cobblestoneSalt),
    info: hex(recoveryInfo),
  }),
  passphrase: await wrapJson(passphraseWrap, passphrase.wrapId, passphrase.cobblestoneSalt, passphraseKek, {
    passphrase: passphrase.passphrase,
    passphraseNote: 'given in NFD (e + U+0301); Argon2id runs over UTF-8(NFC(passphrase))',
    passphraseNfcUtf8: hex(passphraseNfc),
    argon2: { ...passphrase.argon2, salt: hex(passphrase.salt), version: 0x13, hashLength: 32 },
    argon2Output: hex(argon2Output),
    wrapId: hex(passphrase.wrapId), cobblestoneSalt: hex(passphrase.cobblestoneSalt),
    info: hex(passphraseInfo),
  }),
  passkey: await wrapJson(passkeyWrap, passkey.wrapId, passkey.cobblestoneSalt, passkeyKek, {
    prfOutput: hex(passkey.prfOutput), credentialId: passkey.credentialId, prfInput: hex(passkeyPrfInput(idToText(passkey.wrapId))),
    wrapId: hex(passkey.wrapId), cobblestoneSalt: hex(passkey.cobblestoneSalt),
    info: hex(passkeyInfo),
  }),
  safetyNumber: { fingerprintA: hex(a.fingerprint), fingerprintB: hex(b.fingerprint), groups: safety },
  memberSlot: {
    suite: 'DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, base mode, aad empty',
    deterministic: true,
    ephemeralPrivateKeyPkcs8: hex(ephemeralPkcs8),
    enc: hex(ephemeralPublicKey),
    info: hex(slotInfo),
    sharedSecret: hex(new Uint8Array(sharedSecret)),
    slot: hex(slot),
  },
  manifestSignature: {
    manifestSha256: hex(manifestSha256),
    message: hex(signatureMessage),
    signature: hex(manifestSignature),
  },
};

const out = new URL('../test-vectors/valise-v1-members.json', import.meta.url);
writeFileSync(out, JSON.stringify(vectors, null, 2) + '\n');
console.log(`wrote ${out.pathname}`);
