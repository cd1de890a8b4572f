// Wycheproof C2SP chunked-encryption vectors (Cobblestone-128 and -256) through every interface: one-shot, stream, random access, raw mode.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChunkAead, webCryptoAead } from '../primitives/aead.js';
import { rawChunkCipher } from '../cobblestone/chunk-cipher.js';
import { createEncryptor, decryptMessage, deriveMessageKeys, encryptMessage, openDecryptor } from '../cobblestone/cobblestone.js';
import { createDecryptStream, createEncryptStream } from '../cobblestone/cobblestone-stream.js';
import { CryptoError } from '../errors.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, HEADER_SIZE, SALT_SIZE, chunkCount, plaintextSizeOf } from '../cobblestone/layout.js';
import { COBBLESTONE_128, COBBLESTONE_256, type CobblestoneSuite } from '../cobblestone/suite.js';
import { type ChunkedVector, allTests, chunkedCiphertext, hex, loadWycheproof, pipeThrough, rejectsWith, sha512Hex, toHex } from '../test-support/vectors.js';

/** Wraps an AEAD to count `open` calls: header failures must happen before any chunk is decrypted. */
function countingAead(inner: ChunkAead): { aead: ChunkAead; opens: () => number } {
  let opens = 0;
  return {
    aead: { importKey: (raw) => inner.importKey(raw), seal: (k, n, p) => inner.seal(k, n, p), open: (k, n, c) => (opens++, inner.open(k, n, c)) },
    opens: () => opens,
  };
}

function chunksOf(body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < body.length; i += ENCRYPTED_CHUNK_SIZE) out.push(body.subarray(i, i + ENCRYPTED_CHUNK_SIZE));
  return out;
}

for (const [file, suite] of [
  ['c2sp_chunked_encryption_aes_128_gcm_test.json', COBBLESTONE_128],
  ['c2sp_chunked_encryption_aes_256_gcm_test.json', COBBLESTONE_256],
] as const satisfies ReadonlyArray<readonly [string, CobblestoneSuite]>) {
  const data = loadWycheproof<ChunkedVector>(file);
  const vectors = allTests(data);
  assert.equal(vectors.length, data.numberOfTests);
  for (const group of data.testGroups) assert.equal(group['aead'], suite.aead);

  const prefixOk = (v: ChunkedVector, output: Uint8Array) => {
    // PartialPlaintext: at most the valid prefix may be released, and nothing beyond it.
    const allowed = v.flags.includes('PartialPlaintext') ? v.msgLength! : 0;
    assert.ok(output.length <= allowed, `released ${output.length} bytes, at most ${allowed} allowed`);
    assert.equal(output.length % CHUNK_SIZE, 0);
    if (output.length === allowed && allowed > 0) assert.equal(sha512Hex(output), v.msgSha512);
  };

  describe(`${file}: ${vectors.length} vectors (${suite.name})`, () => {
    describe(`one-shot decryptMessage: ${vectors.length} vectors`, () => {
      for (const v of vectors) {
        it(`tcId ${v.tcId} ${v.result}: ${v.comment}`, async () => {
          const ct = chunkedCiphertext(v);
          const counter = countingAead(webCryptoAead);
          const run = decryptMessage(hex(v.key), hex(v.ctx), ct, { suite, aead: counter.aead });
          if (v.result === 'valid') {
            const msg = await run;
            assert.equal(msg.length, v.msgLength);
            assert.equal(sha512Hex(msg), v.msgSha512);
            return;
          }
          const error = await rejectsWith(run);
          if (v.flags.includes('InvalidKeySize')) assert.equal(error.code, 'invalid_key');
          if (v.flags.includes('WrongKey') || v.flags.includes('WrongContext')) assert.equal(error.code, 'commitment_mismatch');
          if (v.flags.includes('HeaderFailure')) assert.equal(counter.opens(), 0, 'no chunk may be decrypted before the header is accepted');
        });
      }
    });

    describe(`streaming createDecryptStream: ${vectors.length} vectors`, () => {
      for (const v of vectors) {
        it(`tcId ${v.tcId} ${v.result}: ${v.comment}`, async (t) => {
          const ct = chunkedCiphertext(v);
          let stream: TransformStream<Uint8Array, Uint8Array>;
          try {
            stream = createDecryptStream(hex(v.key), hex(v.ctx), { suite });
          } catch (error) {
            assert.ok(v.flags.includes('InvalidKeySize') && error instanceof CryptoError && error.code === 'invalid_key');
            return;
          }
          for (const pieceSize of [ct.length || 1, 1000, ENCRYPTED_CHUNK_SIZE + 7]) {
            const s = pieceSize === (ct.length || 1) ? stream : createDecryptStream(hex(v.key), hex(v.ctx), { suite });
            const { output, error } = await pipeThrough(s, ct, pieceSize);
            if (v.result === 'valid') {
              assert.equal(error, undefined);
              assert.equal(output.length, v.msgLength);
              assert.equal(sha512Hex(output), v.msgSha512);
            } else {
              assert.ok(error instanceof CryptoError, `piece size ${pieceSize}: expected a CryptoError, got ${String(error)}`);
              prefixOk(v, output);
            }
          }
          t.diagnostic('3 piece sizes');
        });
      }
    });

    describe(`random access openDecryptor/decryptChunk: ${vectors.length} vectors`, () => {
      for (const v of vectors) {
        it(`tcId ${v.tcId} ${v.result}: ${v.comment}`, async () => {
          const ct = chunkedCiphertext(v);
          const open = openDecryptor(hex(v.key), hex(v.ctx), ct.subarray(0, HEADER_SIZE), { suite });
          if (v.flags.includes('HeaderFailure')) {
            await rejectsWith(open, ['invalid_key', 'commitment_mismatch', 'truncated']);
            return;
          }
          const decryptor = await open;
          // Whole message, chunks read in reverse order (random access must not depend on order).
          const readAll = async () => {
            const size = plaintextSizeOf(ct.length);
            const chunks = chunksOf(ct.subarray(HEADER_SIZE));
            const count = chunkCount(size);
            assert.equal(chunks.length, count);
            const out = new Uint8Array(size);
            for (let i = count - 1; i >= 0; i--) out.set(await decryptor.decryptChunk(i, chunks[i]!, i === count - 1), i * CHUNK_SIZE);
            return out;
          };
          // Length authentication: decrypt only the final chunk, at the index the length implies.
          const readFinal = async () => {
            const size = plaintextSizeOf(ct.length);
            const last = chunkCount(size) - 1;
            return decryptor.decryptChunk(last, ct.subarray(HEADER_SIZE + last * ENCRYPTED_CHUNK_SIZE), true);
          };
          if (v.result === 'valid') {
            const msg = await readAll();
            assert.equal(sha512Hex(msg), v.msgSha512);
            await readFinal();
          } else {
            await rejectsWith(readAll());
            if (v.flags.includes('ValidFinalChunk')) await readFinal();
            else await rejectsWith(readFinal());
          }
        });
      }
    });

    const rawVectors = vectors.filter((v) => !v.flags.includes('HeaderFailure'));
    describe(`raw mode with aeadKey/baseNonce, and key derivation: ${rawVectors.length} vectors`, () => {
      for (const v of rawVectors) {
        it(`tcId ${v.tcId} ${v.result}: ${v.comment}`, async () => {
          const ct = chunkedCiphertext(v);
          assert.ok(ct.length >= SALT_SIZE);
          const keys = await deriveMessageKeys(suite, hex(v.key), ct.subarray(0, SALT_SIZE), hex(v.ctx));
          assert.equal(toHex(keys.key), v.aeadKey);
          assert.equal(toHex(keys.baseNonce), v.baseNonce);
          const raw = rawChunkCipher(webCryptoAead, await webCryptoAead.importKey(hex(v.aeadKey!)), hex(v.baseNonce!));
          const body = ct.subarray(Math.min(HEADER_SIZE, ct.length));
          const decryptBody = async () => {
            const chunks = chunksOf(body);
            if (chunks.length === 0 || chunks.at(-1)!.length === ENCRYPTED_CHUNK_SIZE) throw new CryptoError('truncated', 'no short final chunk');
            const parts = await Promise.all(chunks.map((c, i) => raw.openChunk(i, c, i === chunks.length - 1)));
            return Buffer.concat(parts);
          };
          if (v.result === 'invalid') {
            await rejectsWith(decryptBody());
            return;
          }
          assert.equal(toHex(keys.commitment), toHex(ct.subarray(SALT_SIZE, HEADER_SIZE)));
          const msg = await decryptBody();
          assert.equal(sha512Hex(msg), v.msgSha512);
          // Encryption check 1: raw-mode re-encryption reproduces the body exactly.
          const count = chunkCount(msg.length);
          const sealed = await Promise.all(
            Array.from({ length: count }, (_, i) => raw.sealChunk(i, msg.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE), i === count - 1)),
          );
          assert.ok(Buffer.concat(sealed).equals(body));
        });
      }
    });

    const validVectors = vectors.filter((v) => v.result === 'valid');
    describe(`re-encryption with the injected salt reproduces ct: ${validVectors.length} valid vectors`, () => {
      for (const v of validVectors) {
        it(`tcId ${v.tcId}: ${v.comment}`, async () => {
          const ct = chunkedCiphertext(v);
          const salt = ct.subarray(0, SALT_SIZE);
          const msg = await decryptMessage(hex(v.key), hex(v.ctx), ct, { suite });
          // One-shot.
          assert.ok(Buffer.from(await encryptMessage(hex(v.key), hex(v.ctx), msg, { suite, salt })).equals(ct));
          // Stream, fed in pieces that straddle chunk boundaries.
          const { output, error } = await pipeThrough(createEncryptStream(hex(v.key), hex(v.ctx), { suite, salt }), msg, 10_000);
          assert.equal(error, undefined);
          assert.ok(Buffer.from(output).equals(ct));
          // Random access, chunks encrypted in reverse order.
          const encryptor = await createEncryptor(hex(v.key), hex(v.ctx), { suite, salt });
          const count = chunkCount(msg.length);
          const chunks: Uint8Array[] = [];
          for (let i = count - 1; i >= 0; i--) chunks[i] = await encryptor.encryptChunk(i, msg.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE), i === count - 1);
          assert.ok(Buffer.concat([encryptor.header, ...chunks]).equals(ct));
        });
      }
    });
  });
}
