// Wycheproof vectors for the primitives Valise wraps: HMAC-SHA-256/512, HKDF-Expand-SHA-512, HKDF-SHA-256, AES-GCM.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { webCryptoAead } from '../primitives/aead.js';
import { CryptoError } from '../errors.js';
import { hkdfExpand } from '../primitives/hkdf-expand.js';
import { hkdfSha256 } from '../primitives/hkdf.js';
import { hmacSha256, hmacSha512, hmacVerify } from '../primitives/hmac.js';
import { allTests, hex, loadWycheproof, rejectsWith, toHex } from '../test-support/vectors.js';

interface MacVector { tcId: number; key: string; msg: string; tag: string; result: 'valid' | 'invalid'; flags: string[] }
interface HkdfVector { tcId: number; ikm: string; salt: string; info: string; size: number; okm: string; result: 'valid' | 'invalid' }
interface AeadVector { tcId: number; key: string; iv: string; aad: string; msg: string; ct: string; tag: string; result: 'valid' | 'invalid' }

for (const [file, hash, mac] of [
  ['hmac_sha256_test.json', 'SHA-256', hmacSha256],
  ['hmac_sha512_test.json', 'SHA-512', hmacSha512],
] as const) {
  const vectors = allTests(loadWycheproof<MacVector>(file));
  describe(`${file}: ${vectors.length} vectors`, () => {
    it(`HMAC-${hash} computes the tag (truncated to tagSize) for all ${vectors.length}`, async () => {
      for (const v of vectors) {
        const tag = (await mac(hex(v.key), hex(v.msg))).subarray(0, (v.group['tagSize'] as number) / 8);
        assert.equal(toHex(tag) === v.tag, v.result === 'valid', `tcId ${v.tcId}`);
      }
    });
    const full = vectors.filter((v) => v.tag.length / 2 === (hash === 'SHA-256' ? 32 : 64));
    it(`hmacVerify (subtle.verify) on the ${full.length} full-length tags`, async () => {
      for (const v of full) assert.equal(await hmacVerify(hash, hex(v.key), hex(v.msg), hex(v.tag)), v.result === 'valid', `tcId ${v.tcId}`);
    });
  });
}

{
  const vectors = allTests(loadWycheproof<HkdfVector>('hkdf_sha512_test.json'));
  it(`hkdf_sha512_test.json: ${vectors.length} vectors, hkdfExpand after Extract = HMAC-SHA-512(salt, ikm)`, async () => {
    for (const v of vectors) {
      // RFC 5869 §2.2: an absent salt is HashLen zero bytes (the same HMAC key as an empty one).
      const prk = await hmacSha512(v.salt === '' ? new Uint8Array(64) : hex(v.salt), hex(v.ikm));
      const run = hkdfExpand('SHA-512', prk, hex(v.info), v.size);
      if (v.result === 'valid') assert.equal(toHex(await run), v.okm, `tcId ${v.tcId}`);
      else await rejectsWith(run, 'invalid_length');
    }
  });
}

{
  const vectors = allTests(loadWycheproof<HkdfVector>('hkdf_sha256_test.json'));
  it(`hkdf_sha256_test.json: ${vectors.length} vectors through hkdfSha256 (WebCrypto HKDF)`, async () => {
    for (const v of vectors) {
      const run = hkdfSha256(hex(v.ikm), hex(v.salt), hex(v.info), v.size);
      if (v.result === 'valid') assert.equal(toHex(await run), v.okm, `tcId ${v.tcId}`);
      else await rejectsWith(run, 'invalid_length');
    }
  });
}

{
  const all = allTests(loadWycheproof<AeadVector>('aes_gcm_test.json'));
  const group = all.filter((v) => v.group['ivSize'] === 96 && v.group['tagSize'] === 128);
  // Cobblestone's AEAD has no AAD (C2SP: "MUST be empty") and uses 16- or 32-byte keys only.
  const runnable = group.filter((v) => v.aad === '' && v.group['keySize'] !== 192);
  const aes192 = group.filter((v) => v.group['keySize'] === 192);
  const withAad = group.filter((v) => v.aad !== '' && v.group['keySize'] !== 192);
  describe(`aes_gcm_test.json: ${group.length} vectors with 12-byte IV and 16-byte tag`, () => {
    it(`webCryptoAead seal/open: ${runnable.length} vectors (AES-128/256, empty AAD)`, async () => {
      for (const v of runnable) {
        const key = await webCryptoAead.importKey(hex(v.key));
        const sealed = hex(v.ct + v.tag);
        if (v.result === 'valid') {
          assert.equal(toHex(await webCryptoAead.seal(key, hex(v.iv), hex(v.msg))), v.ct + v.tag, `tcId ${v.tcId}`);
          assert.equal(toHex(await webCryptoAead.open(key, hex(v.iv), sealed)), v.msg, `tcId ${v.tcId}`);
        } else {
          await rejectsWith(webCryptoAead.open(key, hex(v.iv), sealed), 'authentication_failed');
        }
      }
    });
    it(`AES-192 keys are refused with invalid_key: ${aes192.length} vectors`, async () => {
      for (const v of aes192) await rejectsWith(webCryptoAead.importKey(hex(v.key)), 'invalid_key');
    });
    it(`not applicable (non-empty AAD, which the chunk AEAD never uses): ${withAad.length} vectors`, () => {
      assert.equal(runnable.length + aes192.length + withAad.length, group.length);
    });
  });
}

it('webCryptoAead keys are non-extractable and nonce/tag lengths are checked', async () => {
  const key = await webCryptoAead.importKey(new Uint8Array(32));
  assert.equal((key as unknown as CryptoKey).extractable, false);
  await rejectsWith(webCryptoAead.seal(key, new Uint8Array(16), new Uint8Array(1)), 'invalid_length');
  await rejectsWith(webCryptoAead.open(key, new Uint8Array(12), new Uint8Array(15)), 'truncated');
  await rejectsWith(webCryptoAead.importKey(new Uint8Array(31)), 'invalid_key');
  assert.ok(new CryptoError('truncated', 'x') instanceof Error);
});
