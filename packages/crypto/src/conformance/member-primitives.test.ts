// Wycheproof vectors for the WebCrypto primitives under member keys (§11.1): X25519 and ECDH P-256 (HPKE's DH),
// Ed25519 and ECDSA P-256 SHA-256 P1363 verification (certificates, manifest signatures).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allTests, hex, loadWycheproof, toHex } from '../test-support/vectors.js';

type Result = 'valid' | 'invalid' | 'acceptable';
interface XdhVector { tcId: number; public: string; private: string; shared: string; result: Result; flags: string[] }
interface EcdhJwkVector { tcId: number; public: JsonWebKey; private: JsonWebKey; shared: string; result: Result; flags: string[] }
interface VerifyVector { tcId: number; msg: string; sig: string; result: Result; flags: string[] }

const subtle = globalThis.crypto.subtle;

// Invalid vectors that Node's WebCrypto accepts, per file, with the reason they are tolerated. Each list must be
// exactly what happens: a change either way (a fix or a regression) fails the test and is looked at.
/** None: every invalid Ed25519 signature (non-canonical S, small-order R or A, truncations, …) is refused. */
const ED25519_INVALID_ACCEPTED: readonly number[] = [];
/** None: every invalid ECDSA P-256 signature (r or s out of range, wrong length, malleated, …) is refused. */
const ECDSA_P256_INVALID_ACCEPTED: readonly number[] = [];
/** None: invalid-curve points, wrong curves and modified public points are refused at import or derivation. */
const ECDH_P256_INVALID_ACCEPTED: readonly number[] = [];

/** 'ok' | 'fail' per vector; returns the tcIds of invalid vectors that were accepted. */
function judge<V extends { tcId: number; result: Result }>(vectors: readonly V[], outcome: Map<number, boolean>): number[] {
  const acceptedInvalid: number[] = [];
  for (const v of vectors) {
    const ok = outcome.get(v.tcId);
    assert.notEqual(ok, undefined, `tcId ${v.tcId} was not run`);
    if (v.result === 'valid') assert.equal(ok, true, `valid tcId ${v.tcId} failed`);
    if (v.result === 'invalid' && ok) acceptedInvalid.push(v.tcId);
  }
  return acceptedInvalid;
}

function counts(vectors: ReadonlyArray<{ result: Result }>): Record<Result, number> {
  const c: Record<Result, number> = { valid: 0, invalid: 0, acceptable: 0 };
  for (const v of vectors) c[v.result]++;
  return c;
}

describe('x25519_test.json', () => {
  const file = loadWycheproof<XdhVector>('x25519_test.json');
  const vectors = allTests(file);
  const pkcs8Prefix = hex('302e020100300506032b656e04220420');

  it(`X25519 deriveBits on all ${vectors.length} vectors: valid ones match, no wrong secret, a zero secret is refused`, async (t) => {
    assert.equal(vectors.length, file.numberOfTests);
    assert.equal(vectors.length, 518);
    assert.deepEqual(counts(vectors), { valid: 264, invalid: 0, acceptable: 254 });
    let refused = 0;
    for (const v of vectors) {
      let shared: string | undefined;
      try {
        const sk = await subtle.importKey('pkcs8', new Uint8Array([...pkcs8Prefix, ...hex(v.private)]), { name: 'X25519' }, false, ['deriveBits']);
        const pk = await subtle.importKey('raw', hex(v.public), { name: 'X25519' }, true, []);
        shared = toHex(new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pk } as EcdhKeyDeriveParams, sk, 256)));
      } catch {
        refused++;
      }
      const zero = /^0+$/.test(v.shared);
      assert.equal(zero, v.flags.includes('ZeroSharedSecret'), `tcId ${v.tcId}`);
      // RFC 9180 §7.1.4 relies on this: @hpke/core does not check for the all-zero output itself.
      if (zero) assert.equal(shared, undefined, `tcId ${v.tcId}: an all-zero shared secret was returned`);
      else if (v.result === 'valid') assert.equal(shared, v.shared, `tcId ${v.tcId}`);
      else assert.ok(shared === undefined || shared === v.shared, `tcId ${v.tcId}: a wrong shared secret`);
    }
    t.diagnostic(`${refused} refused (31 have a zero shared secret; the other acceptable ones may go either way)`);
  });
});

describe('ecdh_secp256r1_webcrypto_test.json', () => {
  const file = loadWycheproof<EcdhJwkVector>('ecdh_secp256r1_webcrypto_test.json');
  const vectors = allTests(file);
  const alg = { name: 'ECDH', namedCurve: 'P-256' };

  it(`ECDH P-256 (JWK keys) deriveBits on all ${vectors.length} vectors`, async () => {
    assert.equal(vectors.length, file.numberOfTests);
    assert.equal(vectors.length, 353);
    assert.deepEqual(counts(vectors), { valid: 330, invalid: 23, acceptable: 0 });
    const outcome = new Map<number, boolean>();
    for (const v of vectors) {
      try {
        const pk = await subtle.importKey('jwk', v.public, alg, true, []);
        const sk = await subtle.importKey('jwk', v.private, alg, false, ['deriveBits']);
        const shared = toHex(new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: pk } as EcdhKeyDeriveParams, sk, 256)));
        if (v.result === 'valid') assert.equal(shared, v.shared, `tcId ${v.tcId}`);
        outcome.set(v.tcId, shared === v.shared);
      } catch {
        outcome.set(v.tcId, false);
      }
    }
    assert.deepEqual(judge(vectors, outcome), ECDH_P256_INVALID_ACCEPTED);
  });
});

for (const [name, fileName, algorithm, importAlg, expected, knownAccepted] of [
  ['Ed25519', 'ed25519_test.json', { name: 'Ed25519' }, { name: 'Ed25519' }, { total: 151, valid: 88, invalid: 63 }, ED25519_INVALID_ACCEPTED],
  [
    'ECDSA P-256 SHA-256 (P1363)',
    'ecdsa_secp256r1_sha256_p1363_test.json',
    { name: 'ECDSA', hash: 'SHA-256' },
    { name: 'ECDSA', namedCurve: 'P-256' },
    { total: 262, valid: 173, invalid: 89 },
    ECDSA_P256_INVALID_ACCEPTED,
  ],
] as const) {
  describe(fileName, () => {
    const file = loadWycheproof<VerifyVector>(fileName);
    const vectors = allTests(file);

    it(`${name} verify on all ${vectors.length} vectors: valid ones verify, invalid ones do not (except the listed)`, async () => {
      assert.equal(vectors.length, file.numberOfTests);
      assert.equal(vectors.length, expected.total);
      assert.deepEqual(counts(vectors), { valid: expected.valid, invalid: expected.invalid, acceptable: 0 });
      const outcome = new Map<number, boolean>();
      for (const v of vectors) {
        const group = v.group as { publicKey: { pk?: string; uncompressed?: string } };
        const raw = hex(group.publicKey.pk ?? group.publicKey.uncompressed ?? '');
        let ok: boolean;
        try {
          const key = await subtle.importKey('raw', raw, importAlg, true, ['verify']);
          ok = await subtle.verify(algorithm, key, hex(v.sig), hex(v.msg));
        } catch {
          ok = false;
        }
        outcome.set(v.tcId, ok);
      }
      assert.deepEqual(judge(vectors, outcome), knownAccepted);
    });
  });
}
