// Re-derives every value of test-vectors/valise-v1-members.json (docs/format.md §11–§12) with node:crypto only,
// without any of the package's code: records, fingerprints, certificate, key bundle, unlock wraps, recovery code,
// safety number, the member slot (HPKE, RFC 9180, written out) and the manifest signature.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  type KeyObject, createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, sign, verify,
} from 'node:crypto';
// Node 20 has no Argon2: hash-wasm (checked below against the reference implementation's vector) stands in.
import { argon2id } from 'hash-wasm';
import { b64, cobblestone256, ctx, h, kemSharedSecret, keySchedule } from './node-reference.js';

// Deliberately no import from the package (not even test-support): this is an independent implementation. Its helpers
// are in node-reference.ts, which imports node:* only.
const v = JSON.parse(readFileSync(new URL('../../test-vectors/valise-v1-members.json', import.meta.url), 'utf8'));
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };

const X25519_PKCS8_PREFIX = h('302e020100300506032b656e04220420');
const ED25519_PKCS8_PREFIX = h('302e020100300506032b657004220420');
const privateKey = (der: Buffer): KeyObject => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
const rawPublicKey = (key: KeyObject): Buffer => Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url');
const publicKey = (crv: 'X25519' | 'Ed25519', raw: Buffer): KeyObject => createPublicKey({ key: { kty: 'OKP', crv, x: b64(raw) }, format: 'jwk' });

const memberId = h(v.alice.memberId);
const transferId = h(v.inputs.transferId);
const slotId = h(v.inputs.memberSlotId);
const uk = h(v.inputs.uk);

interface MemberJson {
  memberId: string; email: string; createdAt: string; kemSeed: string; kemPrivateKeyPkcs8: string; kemPublicKey: string;
  sigSeed: string; sigPrivateKeyPkcs8: string; sigPublicKey: string; canonicalJson: string; fingerprint: string; fingerprintText: string;
}

it('member key records: keys from their seeds, canonical JSON by hand, SHA-256 fingerprints', () => {
  for (const m of [v.alice, v.bob] as MemberJson[]) {
    const kemPkcs8 = Buffer.concat([X25519_PKCS8_PREFIX, h(m.kemSeed)]);
    const sigPkcs8 = Buffer.concat([ED25519_PKCS8_PREFIX, h(m.sigSeed)]);
    assert.equal(kemPkcs8.toString('hex'), m.kemPrivateKeyPkcs8);
    assert.equal(sigPkcs8.toString('hex'), m.sigPrivateKeyPkcs8);
    const kemPublicKey = rawPublicKey(privateKey(kemPkcs8));
    const sigPublicKey = rawPublicKey(privateKey(sigPkcs8));
    assert.equal(kemPublicKey.toString('hex'), m.kemPublicKey);
    assert.equal(sigPublicKey.toString('hex'), m.sigPublicKey);
    // RFC 8785 for this record: keys in code-unit order, ASCII strings, no whitespace.
    const json = `{"createdAt":${JSON.stringify(m.createdAt)},"email":${JSON.stringify(m.email)},"kem":"X25519",`
      + `"kemPublicKey":"${b64(kemPublicKey)}","memberId":"${b64(h(m.memberId))}","sig":"Ed25519",`
      + `"sigPublicKey":"${b64(sigPublicKey)}","type":"valise/member-key","v":1}`;
    assert.equal(json, m.canonicalJson);
    const fingerprint = sha256(Buffer.from(json, 'utf8'));
    assert.equal(fingerprint.toString('hex'), m.fingerprint);
    assert.equal(fingerprint.subarray(0, 16).toString('hex').match(/.{4}/g)!.join(' '), m.fingerprintText);
  }
});

it('organisation key, orgKeyId and certificate with crypto.sign(null, …)', () => {
  const orgPkcs8 = Buffer.concat([ED25519_PKCS8_PREFIX, h(v.inputs.orgSeed)]);
  assert.equal(orgPkcs8.toString('hex'), v.org.privateKeyPkcs8);
  const orgKey = privateKey(orgPkcs8);
  const orgPublicKey = rawPublicKey(orgKey);
  assert.equal(orgPublicKey.toString('hex'), v.org.publicKey);
  assert.equal(b64(orgPublicKey), v.org.publicKeyText);
  const orgKeyId = sha256(orgPublicKey).subarray(0, 16);
  assert.equal(orgKeyId.toString('hex'), v.org.orgKeyId);
  assert.equal(b64(orgKeyId), v.org.orgKeyIdText);
  assert.equal(ctx('valise/v1/org-key', orgKeyId).toString('hex'), v.org.orgKeyContext);
  const message = ctx('valise/v1/member-certificate', h(v.alice.fingerprint));
  assert.equal(message.toString('hex'), v.org.certificateMessage);
  const certificate = sign(null, message, orgKey);
  assert.equal(certificate.toString('hex'), v.org.certificate);
  assert.equal(verify(null, message, publicKey('Ed25519', orgPublicKey), h(v.org.certificate)), true);
  const other = ctx('valise/v1/member-certificate', h(v.bob.fingerprint));
  assert.equal(verify(null, other, publicKey('Ed25519', orgPublicKey), h(v.org.certificate)), false);
});

it('key bundle: canonical JSON by hand, Cobblestone under UK', () => {
  const a = v.alice as MemberJson;
  const json = `{"kem":"X25519","kemPrivateKey":"${b64(h(a.kemPrivateKeyPkcs8))}","kemPublicKey":"${b64(h(a.kemPublicKey))}",`
    + `"memberId":"${b64(memberId)}","sig":"Ed25519","sigPrivateKey":"${b64(h(a.sigPrivateKeyPkcs8))}",`
    + `"sigPublicKey":"${b64(h(a.sigPublicKey))}","type":"valise/member-private-keys","v":1}`;
  assert.equal(json, v.keyBundle.canonicalJson);
  const context = ctx('valise/v1/key-bundle', memberId);
  assert.equal(context.toString('hex'), v.keyBundle.context);
  const { keys, ciphertext } = cobblestone256(uk, context, h(v.inputs.bundleSalt), Buffer.from(json, 'utf8'));
  assert.deepEqual(keys, v.keyBundle.messageKeys);
  assert.equal(ciphertext.toString('hex'), v.keyBundle.ciphertext);
});

interface WrapJson {
  wrapId: string; cobblestoneSalt: string; info: string; kek: string; context: string;
  messageKeys: { aeadKey: string; baseNonce: string; commitment: string }; wrap: string;
  stored: { wrapId: string; kind: string; argon2: { m: number; t: number; p: number; salt: string } | null; credentialId: string | null; wrapped: string };
}

/** KEK = HKDF-SHA-256(S, memberId ‖ wrapId, info), wrap = Cob(KEK, ctx(account-key, memberId, wrapId), UK). */
function checkWrap(w: WrapJson, kind: string, s: Buffer, info: Buffer): void {
  const wrapId = h(w.wrapId);
  assert.equal(info.toString('hex'), w.info);
  const kek = Buffer.from(hkdfSync('sha256', s, Buffer.concat([memberId, wrapId]), info, 32));
  assert.equal(kek.toString('hex'), w.kek);
  const context = ctx('valise/v1/account-key', memberId, wrapId);
  assert.equal(context.toString('hex'), w.context);
  const { keys, ciphertext } = cobblestone256(kek, context, h(w.cobblestoneSalt), uk);
  assert.deepEqual(keys, w.messageKeys);
  assert.equal(ciphertext.length, 104);
  assert.equal(ciphertext.toString('hex'), w.wrap);
  assert.equal(w.stored.kind, kind);
  assert.equal(w.stored.wrapId, b64(wrapId));
  assert.equal(w.stored.wrapped, b64(ciphertext));
}

it('recovery code: Crockford base32 by hand, and its wrap of UK', () => {
  const r = v.recovery;
  const bytes = h(r.codeBytes);
  assert.equal(bytes.length, 20);
  // 160 bits = 32 symbols of 5 bits, most significant first, in groups of four.
  const n = BigInt('0x' + bytes.toString('hex'));
  let symbols = '';
  for (let i = 31; i >= 0; i--) symbols += '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[Number((n >> BigInt(5 * i)) & 31n)];
  assert.equal(symbols.match(/.{4}/g)!.join('-'), r.code);
  checkWrap(r, 'recovery', bytes, Buffer.from('valise/v1/unlock/recovery'));
  assert.equal(r.stored.argon2, null);
});

it('hash-wasm argon2id matches the phc-winner-argon2 reference vector', async () => {
  const encoded = await argon2id({
    password: 'password', salt: 'somesalt', iterations: 2, parallelism: 1, memorySize: 65536, hashLength: 32, outputType: 'encoded',
  });
  assert.equal(encoded, '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc');
});

it('passphrase: NFC, Argon2id output, KEK bound to m, t, p, and its wrap of UK', async () => {
  const p = v.passphrase;
  const nfc = Buffer.from(p.passphrase.normalize('NFC'), 'utf8');
  assert.notEqual(p.passphrase, p.passphrase.normalize('NFC'));
  assert.equal(nfc.toString('hex'), p.passphraseNfcUtf8);
  assert.deepEqual({ m: p.argon2.m, t: p.argon2.t, p: p.argon2.p }, { m: 65536, t: 3, p: 4 });
  assert.equal(p.argon2.version, 0x13);
  const s = Buffer.from(await argon2id({
    password: nfc, salt: h(p.argon2.salt), iterations: p.argon2.t, parallelism: p.argon2.p, memorySize: p.argon2.m, hashLength: 32, outputType: 'binary',
  }));
  assert.equal(s.toString('hex'), p.argon2Output);
  const info = Buffer.concat([Buffer.from('valise/v1/unlock/passphrase'), Buffer.from([0]), u32(p.argon2.m), u32(p.argon2.t), u32(p.argon2.p)]);
  checkWrap(p, 'passphrase', h(p.argon2Output), info);
  assert.deepEqual(p.stored.argon2, { m: p.argon2.m, t: p.argon2.t, p: p.argon2.p, salt: b64(h(p.argon2.salt)) });
});

it('passkey: PRF input and its wrap of UK', () => {
  const k = v.passkey;
  assert.equal(ctx('valise/v1/passkey-prf', h(k.wrapId)).toString('hex'), k.prfInput);
  checkWrap(k, 'passkey', h(k.prfOutput), Buffer.from('valise/v1/unlock/passkey'));
  assert.equal(k.stored.credentialId, k.credentialId);
});

it('safety number by hand', () => {
  const { fingerprintA, fingerprintB, groups } = v.safetyNumber;
  const [lo, hi] = [h(fingerprintA), h(fingerprintB)].sort(Buffer.compare) as [Buffer, Buffer];
  const first = sha256(ctx('valise/v1/safety-number', lo, hi));
  const digits = [first, sha256(first)].flatMap((d) =>
    [0, 1, 2, 3, 4, 5].map((i) => (BigInt('0x' + d.subarray(5 * i, 5 * i + 5).toString('hex')) % 100000n).toString().padStart(5, '0')));
  assert.deepEqual(digits, groups);
  assert.equal(digits.length, 12);
});

// ---- HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, written out in node-reference
const empty = Buffer.alloc(0);

it('member slot: HPKE base-mode seal by hand (RFC 9180 §4–5) reproduces the recorded slot, and opens', () => {
  const s = v.memberSlot;
  assert.equal(s.deterministic, true);
  const info = Buffer.concat([ctx('valise/v1/member-slot', transferId, slotId), h(v.alice.fingerprint)]);
  assert.equal(info.toString('hex'), s.info);

  // Sender: Encap with the fixed ephemeral key, then one Seal (seq 0: nonce = base_nonce), aad empty.
  const ephemeralPkcs8 = Buffer.concat([X25519_PKCS8_PREFIX, h(v.inputs.ephemeralSeed)]);
  assert.equal(ephemeralPkcs8.toString('hex'), s.ephemeralPrivateKeyPkcs8);
  const skE = privateKey(ephemeralPkcs8);
  const enc = rawPublicKey(skE);
  assert.equal(enc.toString('hex'), s.enc);
  const pkRm = h(v.alice.kemPublicKey);
  const dh = diffieHellman({ privateKey: skE, publicKey: publicKey('X25519', pkRm) });
  const sharedSecret = kemSharedSecret(0x0020, dh, enc, pkRm);
  assert.equal(sharedSecret.toString('hex'), s.sharedSecret);
  const { key, baseNonce } = keySchedule(0x0020, 0x0002, sharedSecret, info);
  const cipher = createCipheriv('aes-256-gcm', key, baseNonce);
  cipher.setAAD(empty);
  const slot = Buffer.concat([enc, cipher.update(h(v.inputs.ck)), cipher.final(), cipher.getAuthTag()]);
  assert.equal(slot.length, 80);
  assert.equal(slot.toString('hex'), s.slot);

  // Recipient: Decap with Alice's KEM private key, same schedule, Open.
  const skR = privateKey(h(v.alice.kemPrivateKeyPkcs8));
  const dhR = diffieHellman({ privateKey: skR, publicKey: publicKey('X25519', slot.subarray(0, 32)) });
  assert.deepEqual(dhR, dh);
  const opened = keySchedule(0x0020, 0x0002, kemSharedSecret(0x0020, dhR, slot.subarray(0, 32), rawPublicKey(skR)), info);
  const decipher = createDecipheriv('aes-256-gcm', opened.key, opened.baseNonce);
  decipher.setAuthTag(slot.subarray(64));
  assert.equal(Buffer.concat([decipher.update(slot.subarray(32, 64)), decipher.final()]).toString('hex'), v.inputs.ck);
});

it('manifest signature with crypto.sign(null, …) on the member\'s Ed25519 key', () => {
  const m = v.manifestSignature;
  const manifestHash = sha256(Buffer.from(v.inputs.manifestJson, 'utf8'));
  assert.equal(manifestHash.toString('hex'), m.manifestSha256);
  const message = Buffer.concat([ctx('valise/v1/manifest-signature', transferId), h(v.alice.fingerprint), manifestHash]);
  // "valise/v1/manifest-signature" (28) ‖ 0x00 ‖ transferId (16) ‖ fpS (32) ‖ SHA-256 (32).
  assert.equal(message.length, 109);
  assert.equal(message.toString('hex'), m.message);
  const signature = sign(null, message, privateKey(h(v.alice.sigPrivateKeyPkcs8)));
  assert.equal(signature.toString('hex'), m.signature);
  const pk = publicKey('Ed25519', h(v.alice.sigPublicKey));
  assert.equal(verify(null, message, pk, signature), true);
  const tampered = Buffer.from(message);
  tampered[tampered.length - 1]! ^= 1;
  assert.equal(verify(null, tampered, pk, signature), false);
});
