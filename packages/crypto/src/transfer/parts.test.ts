// Tests of part arithmetic and part encryption: boundaries, exact lengths, deterministic re-encryption.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes as nodeRandom } from 'node:crypto';
import { createEncryptor, encryptMessage, openDecryptor } from '../cobblestone/cobblestone.js';
import { CHUNK_SIZE, HEADER_SIZE, MAX_PLAINTEXT_SIZE } from '../cobblestone/layout.js';
import {
  CHUNKS_PER_PART,
  PART_CIPHERTEXT_SIZE,
  PART_PLAINTEXT_SIZE,
  ciphertextSize,
  decryptPart,
  encryptPart,
  expectedPartSize,
  partCiphertextRange,
  partCount,
  partPlaintextRange,
} from './parts.js';
import { rejectsWith } from '../test-support/vectors.js';
import { CryptoError } from '../errors.js';

describe('part arithmetic', () => {
  it('constants', () => {
    assert.equal(CHUNKS_PER_PART, 512);
    assert.equal(PART_CIPHERTEXT_SIZE, 8_396_800);
    assert.equal(PART_PLAINTEXT_SIZE, 8_388_608);
    assert.equal(ciphertextSize(0), 72);
    assert.equal(ciphertextSize(40_000), 56 + 3 * 16 + 40_000);
    assert.equal(ciphertextSize(MAX_PLAINTEXT_SIZE), 56 + 2 ** 38 * 16 + MAX_PLAINTEXT_SIZE);
    assert.throws(() => ciphertextSize(MAX_PLAINTEXT_SIZE + 1), (e) => e instanceof CryptoError && e.code === 'counter_overflow');
    assert.throws(() => ciphertextSize(-1), (e) => e instanceof CryptoError && e.code === 'invalid_argument');
  });
  const P = PART_PLAINTEXT_SIZE;
  const cases = [0, 1, CHUNK_SIZE, P - CHUNK_SIZE - 1, P - CHUNK_SIZE, P - 1, P, P + 1, 3 * P + 12345, 1e12, MAX_PLAINTEXT_SIZE];
  it(`parts tile the ciphertext and the plaintext exactly (${cases.length} sizes)`, () => {
    for (const n of cases) {
      const count = partCount(n);
      assert.equal(count, Math.ceil((Math.floor(n / CHUNK_SIZE) + 1) / CHUNKS_PER_PART), `n=${n}`);
      // Check the first two and the last two parts of big files, all parts of small ones.
      const ks = [...new Set([0, 1, count - 2, count - 1].filter((k) => k >= 0 && k < count))];
      let total = 0;
      for (const k of ks) {
        const ct = partCiphertextRange(n, k);
        const pt = partPlaintextRange(n, k);
        assert.equal(expectedPartSize(n, k), ct.end - ct.start);
        if (k < count - 1) {
          assert.equal(ct.end - ct.start, PART_CIPHERTEXT_SIZE + (k === 0 ? HEADER_SIZE : 0));
          assert.equal(pt.end - pt.start, P);
        }
        assert.equal(ct.start, k === 0 ? 0 : HEADER_SIZE + k * PART_CIPHERTEXT_SIZE);
        assert.equal(pt.start, k * P);
        total += ct.end - ct.start;
      }
      if (count <= 4) assert.equal(total, ciphertextSize(n));
      assert.equal(partCiphertextRange(n, count - 1).end, ciphertextSize(n));
      assert.equal(partPlaintextRange(n, count - 1).end, n);
    }
  });
  it('a size that is a multiple of 8 MiB gets a last part with only the empty final chunk', () => {
    assert.equal(partCount(P), 2);
    assert.deepEqual(partPlaintextRange(P, 1), { start: P, end: P });
    assert.equal(expectedPartSize(P, 1), 16);
    assert.equal(partCount(P - 1), 1);
  });
  it('rejects part indices out of range', () => {
    assert.throws(() => partCiphertextRange(10, 1), (e) => e instanceof CryptoError && e.code === 'invalid_argument');
    assert.throws(() => partPlaintextRange(10, -1), (e) => e instanceof CryptoError && e.code === 'invalid_argument');
  });
});

describe('encryptPart / decryptPart', () => {
  const n = PART_PLAINTEXT_SIZE + 40_000; // two parts, the second one with 3 chunks
  const plaintext = new Uint8Array(nodeRandom(n));
  const key = new Uint8Array(nodeRandom(32));
  const ctx = new TextEncoder().encode('parts');
  const salt = new Uint8Array(nodeRandom(24));
  const slice = (k: number) => plaintext.subarray(partPlaintextRange(n, k).start, partPlaintextRange(n, k).end);

  it('the concatenated parts are the one-shot ciphertext, and re-encryption is byte-identical', async () => {
    const enc = await createEncryptor(key, ctx, { salt });
    const parts = [await encryptPart(enc, n, 0, slice(0)), await encryptPart(enc, n, 1, slice(1))];
    assert.equal(parts[0]!.length, PART_CIPHERTEXT_SIZE + HEADER_SIZE);
    assert.equal(parts[1]!.length, 40_000 + 3 * 16);
    assert.ok(Buffer.concat(parts).equals(await encryptMessage(key, ctx, plaintext, { salt })));
    // Resuming an upload: a new encryptor with the same key and salt (persisted) re-creates the same part.
    const again = await createEncryptor(key, ctx, { salt });
    assert.ok(Buffer.from(await encryptPart(again, n, 1, slice(1))).equals(parts[1]!));
    assert.ok(Buffer.from(await encryptPart(enc, n, 0, slice(0))).equals(parts[0]!));

    const dec = await openDecryptor(key, ctx, parts[0]!.subarray(0, HEADER_SIZE));
    assert.ok(Buffer.from(await decryptPart(dec, n, 1, parts[1]!)).equals(slice(1)));
    assert.ok(Buffer.from(await decryptPart(dec, n, 0, parts[0]!)).equals(slice(0)));
  });
  it('encrypts and decrypts into a caller buffer, byte-identical, and wipes it when a part fails', async () => {
    const enc = await createEncryptor(key, ctx, { salt });
    const fresh = [await encryptPart(enc, n, 0, slice(0)), await encryptPart(enc, n, 1, slice(1))];
    const buffer = new Uint8Array(PART_CIPHERTEXT_SIZE + HEADER_SIZE).fill(0xaa);
    const into0 = await encryptPart(enc, n, 0, slice(0), buffer);
    assert.equal(into0.buffer, buffer.buffer);
    assert.ok(Buffer.from(into0).equals(fresh[0]!));
    const into1 = await encryptPart(enc, n, 1, slice(1), buffer); // the same buffer again, for a shorter part
    assert.equal(into1.length, fresh[1]!.length);
    assert.ok(Buffer.from(into1).equals(fresh[1]!));
    await rejectsWith(encryptPart(enc, n, 0, slice(0), new Uint8Array(PART_CIPHERTEXT_SIZE)), 'invalid_length');

    const dec = await openDecryptor(key, ctx, enc.header);
    const out = new Uint8Array(PART_PLAINTEXT_SIZE);
    assert.ok(Buffer.from(await decryptPart(dec, n, 0, fresh[0]!, out)).equals(slice(0)));
    const tampered = new Uint8Array(fresh[0]!);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1; // the last chunk's tag: every other chunk decrypts into `out` first
    out.fill(0xaa);
    await rejectsWith(decryptPart(dec, n, 0, tampered, out), 'authentication_failed');
    assert.ok(out.every((b) => b === 0), 'no unverified plaintext is left in the caller buffer');
  });
  it('checks exact part lengths and the plaintext length', async () => {
    const enc = await createEncryptor(key, ctx, { salt });
    await rejectsWith(encryptPart(enc, n, 1, slice(1).subarray(1)), 'invalid_length');
    const part1 = await encryptPart(enc, n, 1, slice(1));
    const dec = await openDecryptor(key, ctx, enc.header);
    await rejectsWith(decryptPart(dec, n, 1, part1.subarray(0, part1.length - 1)), 'truncated');
    await rejectsWith(decryptPart(dec, n, 1, Buffer.concat([part1, Buffer.from([0])])), 'trailing_data');
    // The manifest's size decides which chunk is final: a wrong size cannot make part 1 verify.
    await rejectsWith(decryptPart(dec, n + 1, 1, Buffer.concat([part1, Buffer.from([0])])), 'authentication_failed');
  });
});
