// Tests of the HPKE layer: RFC 9180 Appendix A through @hpke/core, an independent node:crypto re-derivation of
// our AES-256-GCM suite, and the wrapper's refusals.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { Aes128Gcm, CipherSuite, DhkemP256HkdfSha256, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import {
  HPKE_ENC_SIZE,
  HPKE_TAG_SIZE,
  KEM_NAMES,
  KEM_PUBLIC_KEY_SIZE,
  type KemName,
  type KemPrivateKey,
  generateKemKeyPair,
  hpkeOpen,
  hpkeSeal,
  importKemPrivateKey,
  kemAvailable,
  kemPublicKeyOf,
} from './hpke.js';
import { type HpkeVector, loadHpkeVectors } from '../test-support/hpke-vectors.js';
import { hex, rejectsWith, toHex } from '../test-support/vectors.js';
import { CryptoError } from '../errors.js';
import { kemSharedSecret, keySchedule } from '../conformance/node-reference.js';

const KEM_ID: Record<KemName, number> = { X25519: 0x0020, 'P-256': 0x0010 };
const kemOf = (kemId: number): KemName => (kemId === 0x20 ? 'X25519' : 'P-256');
const buf = (a: ArrayBuffer): string => toHex(new Uint8Array(a));

// ---------------------------------------------------------------------------------------------------------------
// RFC 9180 Appendix A (AES-128-GCM: the only AEAD the file has for these two KEMs), through @hpke/core itself.

const vectors = loadHpkeVectors();

describe(`RFC 9180 Appendix A: ${vectors.length} setups`, () => {
  it('the file holds 2 suites × 4 modes, 48 encryptions and 24 exports (so a parser reading nothing fails)', () => {
    assert.deepEqual(vectors.map((v) => `${v.kemId}/${v.mode}`), ['32/0', '32/1', '32/2', '32/3', '16/0', '16/1', '16/2', '16/3']);
    assert.equal(vectors.reduce((n, v) => n + v.encryptions.length, 0), 48);
    assert.equal(vectors.reduce((n, v) => n + v.exports.length, 0), 24);
    for (const v of vectors) {
      assert.equal(v.kdfId, 1);
      assert.equal(v.aeadId, 1);
      assert.deepEqual(v.encryptions.map((e) => e.seq), [0, 1, 2, 4, 255, 256]);
      // nonce = base_nonce XOR I2OSP(seq, 12) (§5.2): a check of the parser, not of the library.
      for (const e of v.encryptions) {
        const nonce = hex(v.setup['base_nonce']!);
        nonce[10]! ^= e.seq >> 8;
        nonce[11]! ^= e.seq & 0xff;
        assert.equal(toHex(nonce), e.nonce);
      }
    }
  });

  for (const v of vectors) it(`${v.suite}, mode ${v.mode}`, () => checkVector(v));
});

async function checkVector(v: HpkeVector): Promise<void> {
  const s = v.setup;
  const suite = new CipherSuite({
    kem: v.kemId === 0x20 ? new DhkemX25519HkdfSha256() : new DhkemP256HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes128Gcm(),
  });
  // DeriveKeyPair(ikmX) → (skXm, pkXm), for E, R and (Auth modes) S.
  const pair = async (x: 'E' | 'R' | 'S') => {
    const p = await suite.kem.deriveKeyPair(hex(s[`ikm${x}`]!));
    assert.equal(buf(await suite.kem.serializePublicKey(p.publicKey)), s[`pk${x}m`], `pk${x}m`);
    assert.equal(buf(await suite.kem.serializePrivateKey(p.privateKey)), s[`sk${x}m`], `sk${x}m`);
    return p;
  };
  const ephemeral = await pair('E');
  const recipient = await pair('R');
  const senderPair = s['ikmS'] === undefined ? undefined : await pair('S');
  assert.equal(senderPair !== undefined, v.mode >= 2);
  const psk = s['psk'] === undefined ? undefined : { id: hex(s['psk_id']!), key: hex(s['psk']!) };
  assert.equal(psk !== undefined, v.mode === 1 || v.mode === 3);
  const info = hex(s['info']!);

  // Sender with the vector's ephemeral key (ekm): enc must be pkEm.
  const sender = await suite.createSenderContext({
    recipientPublicKey: recipient.publicKey,
    info,
    ekm: ephemeral,
    ...(psk && { psk }),
    ...(senderPair && { senderKey: senderPair }),
  });
  assert.equal(buf(sender.enc), s['enc']);
  // Recipient from the serialized skRm and the vector's enc only.
  const opener = await suite.createRecipientContext({
    recipientKey: await suite.kem.deserializePrivateKey(hex(s['skRm']!)),
    enc: hex(s['enc']!),
    info,
    ...(psk && { psk }),
    ...(s['pkSm'] !== undefined && { senderPublicKey: await suite.kem.deserializePublicKey(hex(s['pkSm'])) }),
  });

  // Sequence numbers 0…256 in lockstep; the ones between the listed vectors carry a filler message.
  const bySeq = new Map(v.encryptions.map((e) => [e.seq, e]));
  for (let seq = 0; seq <= 256; seq++) {
    const e = bySeq.get(seq);
    if (e === undefined) {
      await opener.open(await sender.seal(new Uint8Array(0)));
      continue;
    }
    assert.equal(buf(await sender.seal(hex(e.pt), hex(e.aad))), e.ct, `seal, sequence number ${seq}`);
    assert.equal(buf(await opener.open(hex(e.ct), hex(e.aad))), e.pt, `open, sequence number ${seq}`);
  }
  for (const x of v.exports) {
    assert.equal(buf(await sender.export(hex(x.exporterContext), x.length)), x.value, 'sender export');
    assert.equal(buf(await opener.export(hex(x.exporterContext), x.length)), x.value, 'recipient export');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Our suite (AES-256-GCM) re-derived from the RFC text with node:crypto only, so a wrong suite id in the wrapper
// cannot hide behind a round trip. Checked first against the vectors' shared_secret, key and base_nonce.

const PKCS8_PREFIX: Record<KemName, string> = {
  X25519: '302e020100300506032b656e04220420',
  'P-256': '3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420',
};
const SPKI_PREFIX: Record<KemName, string> = {
  X25519: '302a300506032b656e032100',
  'P-256': '3059301306072a8648ce3d020106082a8648ce3d030107034200',
};

function nodeDh(kem: KemName, pkcs8: Uint8Array, publicKey: Uint8Array): Buffer {
  return diffieHellman({
    privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }),
    publicKey: createPublicKey({ key: Buffer.concat([hex(SPKI_PREFIX[kem]), publicKey]), format: 'der', type: 'spki' }),
  });
}

/** Base mode: Decap then KeySchedule (RFC 9180 §4.1, §5.1) for suite (kem, HKDF-SHA256, aeadId). */
function nodeBaseSchedule(kem: KemName, aeadId: number, skPkcs8: Uint8Array, pkRm: Uint8Array, enc: Uint8Array, info: Uint8Array) {
  const sharedSecret = kemSharedSecret(KEM_ID[kem], nodeDh(kem, skPkcs8, enc), enc, pkRm);
  return { sharedSecret, ...keySchedule(KEM_ID[kem], aeadId, sharedSecret, info) };
}

function nodeAesGcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer {
  const decipher = createDecipheriv(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
}

describe('independent node:crypto HPKE (base mode)', () => {
  const base = vectors.filter((v) => v.mode === 0);
  it(`reproduces shared_secret, key, base_nonce and the first ct of the ${base.length} base-mode vectors`, () => {
    assert.equal(base.length, 2);
    for (const v of base) {
      const kem = kemOf(v.kemId);
      const s = v.setup;
      const skPkcs8 = Buffer.concat([hex(PKCS8_PREFIX[kem]), hex(s['skRm']!)]);
      const got = nodeBaseSchedule(kem, v.aeadId, skPkcs8, hex(s['pkRm']!), hex(s['enc']!), hex(s['info']!));
      assert.equal(toHex(got.sharedSecret), s['shared_secret']);
      assert.equal(toHex(got.key), s['key']);
      assert.equal(toHex(got.baseNonce), s['base_nonce']);
      const first = v.encryptions[0]!;
      const cipher = createCipheriv('aes-128-gcm', got.key, got.baseNonce).setAAD(hex(first.aad));
      assert.equal(toHex(Buffer.concat([cipher.update(hex(first.pt)), cipher.final(), cipher.getAuthTag()])), first.ct);
    }
  });

  for (const kem of KEM_NAMES) {
    it(`opens hpkeSeal's ${kem} boxes as DHKEM(${kem}, HKDF-SHA256), HKDF-SHA256, AES-256-GCM (aead_id 2)`, async () => {
      const { publicKey, privateKeyPkcs8 } = await generateKemKeyPair(kem);
      const info = new TextEncoder().encode('valise/v1/member-slot\0test');
      const plaintext = crypto.getRandomValues(new Uint8Array(32));
      const box = await hpkeSeal(kem, publicKey, info, plaintext);
      const enc = box.subarray(0, HPKE_ENC_SIZE[kem]);
      const { key, baseNonce } = nodeBaseSchedule(kem, 2, privateKeyPkcs8, publicKey, enc, info);
      assert.deepEqual(new Uint8Array(nodeAesGcmOpen(key, baseNonce, box.subarray(HPKE_ENC_SIZE[kem]))), plaintext);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// The wrapper.

const info = new TextEncoder().encode('valise/v1/member-slot\0 transferId slotId fpR');
const ck = crypto.getRandomValues(new Uint8Array(32));

async function keyPair(kem: KemName): Promise<{ publicKey: Uint8Array; privateKey: KemPrivateKey }> {
  const { publicKey, privateKeyPkcs8 } = await generateKemKeyPair(kem);
  return { publicKey, privateKey: await importKemPrivateKey(kem, privateKeyPkcs8) };
}

/** Every failure to open must be this one error, whose text says nothing about the inputs. */
async function failsToOpen(promise: Promise<unknown>): Promise<void> {
  const error = await rejectsWith(promise, 'authentication_failed');
  assert.equal(error.message, 'an HPKE box failed to open');
}

describe('sizes', () => {
  it('Nenc and public key sizes of §11.1', () => {
    assert.deepEqual(HPKE_ENC_SIZE, { X25519: 32, 'P-256': 65 });
    assert.deepEqual(KEM_PUBLIC_KEY_SIZE, { X25519: 32, 'P-256': 65 });
    assert.equal(HPKE_TAG_SIZE, 16);
  });
});

for (const kem of KEM_NAMES) {
  describe(`hpkeSeal / hpkeOpen with ${kem}`, () => {
    it('this runtime has it', async () => assert.equal(await kemAvailable(kem), true));

    it('round trip; a member slot of a 32-byte CK is 80 (X25519) or 113 (P-256) bytes (§12.1)', async () => {
      const { publicKey, privateKey } = await keyPair(kem);
      assert.equal(publicKey.length, KEM_PUBLIC_KEY_SIZE[kem]);
      assert.deepEqual(kemPublicKeyOf(privateKey), publicKey);
      assert.equal(privateKey.kem, kem);
      assert.deepEqual(Object.keys(privateKey), ['kem']);
      const box = await hpkeSeal(kem, publicKey, info, ck);
      assert.equal(box.length, kem === 'X25519' ? 80 : 113);
      assert.deepEqual(await hpkeOpen(kem, privateKey, info, box), ck);
      for (const n of [0, 1, 1000]) {
        const pt = crypto.getRandomValues(new Uint8Array(n));
        assert.deepEqual(await hpkeOpen(kem, privateKey, info, await hpkeSeal(kem, publicKey, info, pt)), pt);
      }
      // A fresh ephemeral key each time.
      assert.notDeepEqual(await hpkeSeal(kem, publicKey, info, ck), box);
      // Views into larger buffers work (subarray offsets are respected).
      const padded = new Uint8Array(box.length + 7);
      padded.set(box, 3);
      assert.deepEqual(await hpkeOpen(kem, privateKey, info, padded.subarray(3, 3 + box.length)), ck);
    });

    if (kem === 'P-256') {
      it('imported keys open boxes for both signs of y (pkRm is in kem_context)', async () => {
        const seen = new Set<number>();
        for (let i = 0; i < 64 && seen.size < 2; i++) {
          const { publicKey, privateKey } = await keyPair(kem);
          seen.add(publicKey[64]! & 1);
          assert.deepEqual(kemPublicKeyOf(privateKey), publicKey);
          assert.deepEqual(await hpkeOpen(kem, privateKey, info, await hpkeSeal(kem, publicKey, info, ck)), ck);
        }
        assert.equal(seen.size, 2);
      });
    }

    it('wrong info, wrong key, any flipped bit → authentication_failed', async () => {
      const { publicKey, privateKey } = await keyPair(kem);
      const box = await hpkeSeal(kem, publicKey, info, ck);
      await failsToOpen(hpkeOpen(kem, privateKey, new TextEncoder().encode('valise/v1/member-slot\0 other'), box));
      await failsToOpen(hpkeOpen(kem, privateKey, new Uint8Array(0), box));
      await failsToOpen(hpkeOpen(kem, (await keyPair(kem)).privateKey, info, box));
      // Every byte of enc, ct and tag; flipping a bit of enc may also make it an invalid point: same answer.
      for (let i = 0; i < box.length; i++) {
        const bad = box.slice();
        bad[i]! ^= 1 << (i % 8);
        await failsToOpen(hpkeOpen(kem, privateKey, info, bad));
      }
    });

    it('a truncated or extended box: invalid_length below Nenc + 16, else authentication_failed', async () => {
      const { publicKey, privateKey } = await keyPair(kem);
      const box = await hpkeSeal(kem, publicKey, info, ck);
      const min = HPKE_ENC_SIZE[kem] + HPKE_TAG_SIZE;
      for (const n of [0, 1, HPKE_ENC_SIZE[kem], min - 1]) await rejectsWith(hpkeOpen(kem, privateKey, info, box.subarray(0, n)), 'invalid_length');
      for (const n of [min, box.length - 1]) await failsToOpen(hpkeOpen(kem, privateKey, info, box.subarray(0, n)));
      await failsToOpen(hpkeOpen(kem, privateKey, info, new Uint8Array([...box, 0])));
      // The smallest well-formed box (empty plaintext) opens.
      assert.deepEqual(await hpkeOpen(kem, privateKey, info, await hpkeSeal(kem, publicKey, info, new Uint8Array(0))), new Uint8Array(0));
    });

    it('a public key of the wrong length → invalid_key', async () => {
      const { publicKey } = await keyPair(kem);
      const size = KEM_PUBLIC_KEY_SIZE[kem];
      for (const bad of [new Uint8Array(0), publicKey.subarray(0, size - 1), new Uint8Array([...publicKey, 0]), new Uint8Array(33), new Uint8Array(64)]) {
        if (bad.length === size) continue;
        await rejectsWith(hpkeSeal(kem, bad, info, ck), 'invalid_key');
      }
      // The other KEM's key is refused by its length.
      const other: KemName = kem === 'X25519' ? 'P-256' : 'X25519';
      await rejectsWith(hpkeSeal(kem, (await keyPair(other)).publicKey, info, ck), 'invalid_key');
    });

    it('a private key used with the other KEM, or not made by importKemPrivateKey → invalid_key', async () => {
      const { publicKey, privateKey } = await keyPair(kem);
      const box = await hpkeSeal(kem, publicKey, info, ck);
      const other: KemName = kem === 'X25519' ? 'P-256' : 'X25519';
      await rejectsWith(hpkeOpen(other, privateKey, info, box), 'invalid_key');
      await rejectsWith(hpkeOpen(kem, Object.freeze({ kem }) as KemPrivateKey, info, box), 'invalid_key');
      assert.throws(() => kemPublicKeyOf({ kem } as KemPrivateKey), (e) => e instanceof CryptoError && e.code === 'invalid_key');
    });

    it('importKemPrivateKey refuses the other KEM’s key and garbage with invalid_key', async () => {
      const other: KemName = kem === 'X25519' ? 'P-256' : 'X25519';
      await rejectsWith(importKemPrivateKey(kem, (await generateKemKeyPair(other)).privateKeyPkcs8), 'invalid_key');
      await rejectsWith(importKemPrivateKey(kem, new Uint8Array(0)), 'invalid_key');
      const pkcs8 = (await generateKemKeyPair(kem)).privateKeyPkcs8;
      await rejectsWith(importKemPrivateKey(kem, pkcs8.subarray(0, pkcs8.length - 1)), 'invalid_key');
      await rejectsWith(importKemPrivateKey(kem, crypto.getRandomValues(new Uint8Array(pkcs8.length))), 'invalid_key');
    });
  });
}

describe('invalid points', () => {
  it('P-256: off the curve, compressed, hybrid (0x06/0x07) or the point at infinity → invalid_key', async () => {
    const { publicKey } = await keyPair('P-256');
    const offCurve = publicKey.slice();
    offCurve[64]! ^= 1;
    const hybrid = publicKey.slice();
    hybrid[0] = 0x06 | (publicKey[64]! & 1); // Node imports this form; §11.1 allows uncompressed only
    const compressed = publicKey.slice();
    compressed[0] = 0x02 | (publicKey[64]! & 1);
    const xOnly = new Uint8Array(65);
    xOnly[0] = 0x04;
    for (const bad of [offCurve, hybrid, compressed, xOnly, new Uint8Array(65), new Uint8Array(65).fill(0xff)]) {
      await rejectsWith(hpkeSeal('P-256', bad, info, ck), 'invalid_key');
    }
  });

  // Small-order X25519 points (RFC 7748 §7; the list of Bernstein's "curve25519" page): the shared secret would
  // be zero, which RFC 9180 §7.1.4 requires refusing. WebCrypto refuses it, and @hpke/core passes that on.
  const smallOrder = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ];
  it(`X25519: sealing to any of ${smallOrder.length} small-order points → invalid_key`, async () => {
    for (const point of smallOrder) await rejectsWith(hpkeSeal('X25519', hex(point), info, ck), 'invalid_key');
  });
  it('X25519: a box whose enc is a small-order point → authentication_failed', async () => {
    const { publicKey, privateKey } = await keyPair('X25519');
    const box = await hpkeSeal('X25519', publicKey, info, ck);
    for (const point of smallOrder) {
      const bad = box.slice();
      bad.set(hex(point), 0);
      await failsToOpen(hpkeOpen('X25519', privateKey, info, bad));
    }
  });
});

describe('arguments', () => {
  it('an unknown KEM name → invalid_argument', async () => {
    const { publicKey } = await keyPair('X25519');
    await rejectsWith(hpkeSeal('X448' as KemName, publicKey, info, ck), 'invalid_argument');
    await rejectsWith(generateKemKeyPair('X448' as KemName), 'invalid_argument');
    await rejectsWith(kemAvailable('X448' as KemName), 'invalid_argument');
  });
});
