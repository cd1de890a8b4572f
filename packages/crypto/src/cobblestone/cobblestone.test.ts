// Tests of the Cobblestone API beyond the vectors: length rules, counter limit, nonces, header checks, streams.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes as nodeRandom } from 'node:crypto';
import { webCryptoAead } from '../primitives/aead.js';
import { forEachBounded } from './concurrency.js';
import { chunkNonce } from './chunk-cipher.js';
import { createEncryptor, decryptMessage, deriveMessageKeys, encryptMessage, openDecryptor } from './cobblestone.js';
import { createDecryptStream, createEncryptStream } from './cobblestone-stream.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, HEADER_SIZE, MAX_CHUNKS, ciphertextSize, plaintextSizeOf } from './layout.js';
import { COBBLESTONE_128, COBBLESTONE_256 } from './suite.js';
import { pipeThrough, rejectsWith } from '../test-support/vectors.js';

const key = new Uint8Array(nodeRandom(32));
const ctx = new TextEncoder().encode('test context');
const sizes = [0, 1, 100, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 5];

describe('one-shot messages', () => {
  it(`round-trips ${sizes.length} sizes around chunk boundaries with the right ciphertext size`, async () => {
    for (const n of sizes) {
      const msg = new Uint8Array(nodeRandom(n));
      const ct = await encryptMessage(key, ctx, msg);
      assert.equal(ct.length, ciphertextSize(n));
      assert.equal(plaintextSizeOf(ct.length), n);
      assert.deepEqual(await decryptMessage(key, ctx, ct), msg);
    }
  });
  it('draws a fresh salt each time', async () => {
    const a = await encryptMessage(key, ctx, new Uint8Array(10));
    const b = await encryptMessage(key, ctx, new Uint8Array(10));
    assert.notDeepEqual(a.subarray(0, 24), b.subarray(0, 24));
  });
  it('rejects bad keys and salts', async () => {
    await rejectsWith(encryptMessage(new Uint8Array(16), ctx, new Uint8Array(1)), 'invalid_key');
    await rejectsWith(encryptMessage(key, ctx, new Uint8Array(1), { suite: COBBLESTONE_128 }), 'invalid_key');
    await rejectsWith(encryptMessage(key, ctx, new Uint8Array(1), { salt: new Uint8Array(23) }), 'invalid_length');
    await rejectsWith(decryptMessage(new Uint8Array(33), ctx, new Uint8Array(100)), 'invalid_key');
  });
});

describe('random-access encryptor/decryptor', () => {
  it('enforces chunk lengths', async () => {
    const enc = await createEncryptor(key, ctx);
    assert.equal(enc.header.length, HEADER_SIZE);
    await rejectsWith(enc.encryptChunk(0, new Uint8Array(CHUNK_SIZE - 1), false), 'invalid_length');
    await rejectsWith(enc.encryptChunk(0, new Uint8Array(CHUNK_SIZE + 1), false), 'invalid_length');
    await rejectsWith(enc.encryptChunk(0, new Uint8Array(CHUNK_SIZE), true), 'invalid_length');
    const dec = await openDecryptor(key, ctx, enc.header);
    const full = await enc.encryptChunk(0, new Uint8Array(CHUNK_SIZE), false);
    await rejectsWith(dec.decryptChunk(0, full.subarray(1), false), 'truncated');
    await rejectsWith(dec.decryptChunk(0, new Uint8Array(ENCRYPTED_CHUNK_SIZE + 1), false), 'invalid_length');
    await rejectsWith(dec.decryptChunk(0, full, true), 'truncated'); // a full final chunk means the message was cut
    await rejectsWith(dec.decryptChunk(0, new Uint8Array(15), true), 'truncated');
    await rejectsWith(dec.decryptChunk(-1, full, false), 'invalid_argument');
    await rejectsWith(dec.decryptChunk(1.5, full, false), 'invalid_argument');
    assert.deepEqual(await dec.decryptChunk(0, full, false), new Uint8Array(CHUNK_SIZE));
  });
  it('checks the header length before anything', async () => {
    const enc = await createEncryptor(key, ctx);
    await rejectsWith(openDecryptor(key, ctx, enc.header.subarray(0, 55)), 'truncated');
    await rejectsWith(openDecryptor(key, ctx, new Uint8Array(57)), 'invalid_length');
    await rejectsWith(openDecryptor(key, new Uint8Array(0), enc.header), 'commitment_mismatch');
  });
  it('aborts when the chunk counter reaches 2^38 and XORs the index into the last 5 nonce bytes', async () => {
    const enc = await createEncryptor(key, ctx);
    await rejectsWith(enc.encryptChunk(MAX_CHUNKS, new Uint8Array(0), true), 'counter_overflow');
    const dec = await openDecryptor(key, ctx, enc.header);
    await rejectsWith(dec.decryptChunk(MAX_CHUNKS, new Uint8Array(16), true), 'counter_overflow');
    // The last allowed index still works, and matches AES-256-GCM computed independently with Node.
    const last = MAX_CHUNKS - 1;
    const sealed = await enc.encryptChunk(last, new Uint8Array([1, 2, 3]), true);
    assert.deepEqual(await dec.decryptChunk(last, sealed, true), new Uint8Array([1, 2, 3]));
    const keys = await deriveMessageKeys(COBBLESTONE_256, key, enc.header.subarray(0, 24), ctx);
    const nonce = Buffer.from(keys.baseNonce);
    const counter = Buffer.alloc(12);
    counter.writeUIntBE(last, 6, 6);
    for (let i = 0; i < 12; i++) nonce[i]! ^= counter[i]!;
    assert.deepEqual(Buffer.from(chunkNonce(keys.baseNonce, last)), nonce);
    const cipher = createCipheriv('aes-256-gcm', keys.key, nonce);
    const expected = Buffer.concat([cipher.update(Buffer.from([1, 2, 3])), cipher.final(), cipher.getAuthTag()]);
    assert.deepEqual(Buffer.from(sealed), expected);
  });
});

describe('streams', () => {
  it(`encrypt and decrypt streams round-trip ${sizes.length} sizes with several piece sizes`, async () => {
    for (const n of sizes) {
      const msg = new Uint8Array(nodeRandom(n));
      for (const piece of [1 + (n >> 3), 4096, ENCRYPTED_CHUNK_SIZE + 1]) {
        const enc = await pipeThrough(createEncryptStream(key, ctx), msg, piece);
        assert.equal(enc.error, undefined);
        assert.equal(enc.output.length, ciphertextSize(n));
        assert.deepEqual(await decryptMessage(key, ctx, enc.output), msg);
        for (const opts of [{}, { plaintextSize: n }]) {
          const dec = await pipeThrough(createDecryptStream(key, ctx, opts), enc.output, piece);
          assert.equal(dec.error, undefined);
          assert.deepEqual(new Uint8Array(dec.output), msg);
        }
      }
    }
  });
  it('reports truncation: empty stream, mid-header, ending on a full chunk, inside a tag', async () => {
    const ct = await encryptMessage(key, ctx, new Uint8Array(CHUNK_SIZE));
    for (const cut of [0, 10, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + ENCRYPTED_CHUNK_SIZE, ct.length - 1]) {
      const { output, error } = await pipeThrough(createDecryptStream(key, ctx), ct.subarray(0, cut), 1000);
      assert.ok(error !== undefined, `cut at ${cut}`);
      assert.ok(output.length <= CHUNK_SIZE);
      if (cut < ct.length - 1) await rejectsWith(Promise.reject(error), 'truncated');
      else await rejectsWith(Promise.reject(error), ['truncated', 'authentication_failed']);
    }
  });
  it('with a known size, trailing data and truncation have their own codes', async () => {
    const n = 2 * CHUNK_SIZE + 10;
    const ct = await encryptMessage(key, ctx, new Uint8Array(n));
    const longer = await pipeThrough(createDecryptStream(key, ctx, { plaintextSize: n }), Buffer.concat([ct, Buffer.from([0])]), 5000);
    await rejectsWith(Promise.reject(longer.error), 'trailing_data');
    const shorter = await pipeThrough(createDecryptStream(key, ctx, { plaintextSize: n }), ct.subarray(0, ct.length - 1), 5000);
    await rejectsWith(Promise.reject(shorter.error), 'truncated');
    // Without the known size, the same appended byte becomes part of the final chunk and fails its tag.
    const unknown = await pipeThrough(createDecryptStream(key, ctx), Buffer.concat([ct, Buffer.from([0])]), 5000);
    await rejectsWith(Promise.reject(unknown.error), 'authentication_failed');
    assert.equal(unknown.output.length, 2 * CHUNK_SIZE); // only verified chunks were released
  });
  it('the streams refuse a bad key at once', () => {
    assert.throws(() => createDecryptStream(new Uint8Array(16), ctx));
    assert.throws(() => createEncryptStream(new Uint8Array(16), ctx));
  });
});

it('webCryptoAead and the default options are the same thing', async () => {
  const salt = new Uint8Array(24);
  const a = await encryptMessage(key, ctx, new Uint8Array(40000), { salt });
  const b = await encryptMessage(key, ctx, new Uint8Array(40000), { salt, aead: webCryptoAead, suite: COBBLESTONE_256 });
  assert.deepEqual(a, b);
});

it('forEachBounded bounds concurrency, stops after a failure, and reports the lowest failing index', async () => {
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const run = forEachBounded(
    100,
    async (i) => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, i === 5 ? 5 : 1));
      running--;
      if (i === 5 || i === 3) throw new Error(`task ${i}`);
    },
    4,
  );
  await assert.rejects(run, /task 3/);
  assert.equal(peak, 4);
  assert.equal(running, 0, 'no task outlives the call');
  assert.ok(started.length < 100, 'scheduling stops after a failure');
});
