// Tests of the byte helpers and ids: strict base64url, UTF-8, CSPRNG sizes, constant-time equality.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { concatBytes, constantTimeEqual, fromBase64Url, fromUtf8, ownedBytes, randomBytes, toBase64Url, utf8 } from './encoding.js';
import { CryptoError } from '../errors.js';
import { idFromBytes, idFromText, idToText, newId } from './ids.js';

const isCode = (code: string) => (e: unknown) => e instanceof CryptoError && e.code === code;

describe('base64url', () => {
  it('round-trips every length 0..300 and matches Node (RFC 4648 §5, unpadded)', () => {
    for (let n = 0; n <= 300; n++) {
      const bytes = new Uint8Array(nodeRandomBytes(n));
      const text = toBase64Url(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64url'));
      assert.deepEqual(fromBase64Url(text), bytes);
    }
  });
  it('rejects padding, non-alphabet characters and whitespace', () => {
    for (const bad of ['AA==', 'AAA=', 'AB+/', 'AB/C', 'AA A', ' AAA', 'AAA\n', 'AAé', 'AA.B']) {
      assert.throws(() => fromBase64Url(bad), isCode('invalid_encoding'), bad);
    }
  });
  it('rejects impossible lengths and non-canonical trailing bits', () => {
    assert.throws(() => fromBase64Url('A'), isCode('invalid_encoding'));
    assert.throws(() => fromBase64Url('AAAAA'), isCode('invalid_encoding'));
    assert.throws(() => fromBase64Url('AB'), isCode('invalid_encoding')); // 0x00 with trailing bits 0001
    assert.throws(() => fromBase64Url('AAB'), isCode('invalid_encoding'));
    assert.deepEqual(fromBase64Url('AA'), new Uint8Array([0]));
    assert.deepEqual(fromBase64Url('AAE'), new Uint8Array([0, 1]));
    assert.deepEqual(fromBase64Url('_w'), new Uint8Array([255]));
  });
  it('checks the expected length', () => {
    assert.throws(() => fromBase64Url('AAAA', 2), isCode('invalid_length'));
    assert.equal(fromBase64Url('AAAA', 3).length, 3);
  });
});

describe('utf8', () => {
  it('encodes and strictly decodes', () => {
    assert.deepEqual(utf8('é€😀'), new Uint8Array(Buffer.from('é€😀', 'utf8')));
    assert.equal(fromUtf8(utf8('é€😀')), 'é€😀');
    assert.throws(() => fromUtf8(new Uint8Array([0xc3])), isCode('invalid_encoding'));
    assert.throws(() => fromUtf8(new Uint8Array([0xed, 0xa0, 0x80])), isCode('invalid_encoding')); // encoded surrogate
    assert.equal(fromUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), '\ufeffA'); // a BOM is kept, not silently dropped
  });
});

describe('bytes', () => {
  it('concatBytes', () => {
    assert.deepEqual(concatBytes(), new Uint8Array(0));
    assert.deepEqual(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])), new Uint8Array([1, 2, 3]));
  });
  it('randomBytes beyond the 65,536-byte getRandomValues limit', () => {
    const big = randomBytes(200_000);
    assert.equal(big.length, 200_000);
    assert.ok(big.subarray(150_000).some((b) => b !== 0));
    assert.notDeepEqual(randomBytes(32), randomBytes(32));
    assert.throws(() => randomBytes(-1), isCode('invalid_argument'));
  });
  it('constantTimeEqual', () => {
    assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
    assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
    assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
    assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
  });
  it('ownedBytes copies shared memory only', () => {
    const plain = new Uint8Array([1, 2, 3]);
    assert.equal(ownedBytes(plain), plain);
    const shared = new Uint8Array(new SharedArrayBuffer(3));
    shared.set([4, 5, 6]);
    const owned = ownedBytes(shared);
    assert.ok(owned.buffer instanceof ArrayBuffer);
    assert.deepEqual([...owned], [4, 5, 6]);
  });
});

describe('ids', () => {
  it('16 random bytes, 22 base64url characters', () => {
    const id = newId<'TransferId'>();
    assert.equal(id.length, 16);
    const text = idToText(id);
    assert.match(text, /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(idFromText(text), id);
    assert.deepEqual(idFromBytes(id), id);
  });
  it('rejects wrong lengths and non-canonical text', () => {
    assert.throws(() => idFromBytes(new Uint8Array(15)), isCode('invalid_length'));
    assert.throws(() => idToText(new Uint8Array(17)), isCode('invalid_length'));
    assert.throws(() => idFromText('A'.repeat(21)), isCode('invalid_encoding'));
    assert.throws(() => idFromText('A'.repeat(21) + 'B'), isCode('invalid_encoding')); // trailing bits set
    assert.throws(() => idFromText('A'.repeat(22) + '=='), isCode('invalid_encoding'));
  });
});
