// Tests of nodeAead: Wycheproof AES-GCM and every Cobblestone vector through it, and byte-identical output with webCryptoAead.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import {
  COBBLESTONE_128, COBBLESTONE_256, CryptoError, PART_CIPHERTEXT_SIZE, PART_PLAINTEXT_SIZE, createDecryptStream, createEncryptStream,
  createEncryptor, decryptMessage, decryptPart, encryptMessage, encryptPart, openDecryptor, webCryptoAead,
} from '@valise/crypto';
import { nodeAead } from './node-aead.js';

// dist/crypto/ → dist → apps/cli → apps → main → /work, where shared/ lives.
const WYCHEPROOF = new URL('../../../../../shared/test-vectors/wycheproof/', import.meta.url);
const load = (name: string) => JSON.parse(readFileSync(new URL(name, WYCHEPROOF), 'utf8'));
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sha512 = (b: Uint8Array) => createHash('sha512').update(b).digest('hex');

/** Feeds `input` through a TransformStream; returns the output and the error, if any. */
async function through(input: Uint8Array, stream: TransformStream<Uint8Array, Uint8Array>): Promise<{ out: Buffer; error: unknown }> {
  const source = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(input); c.close(); } });
  const reader = source.pipeThrough(stream).getReader();
  const chunks: Uint8Array[] = [];
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  } catch (error) {
    return { out: Buffer.concat(chunks), error };
  }
  return { out: Buffer.concat(chunks), error: undefined };
}

async function rejectsCode(promise: Promise<unknown>, codes: string[]): Promise<void> {
  await assert.rejects(promise, (e) => e instanceof CryptoError && codes.includes(e.code));
}

interface AeadVector { tcId: number; key: string; iv: string; aad: string; msg: string; ct: string; tag: string; result: string }
interface ChunkedVector { tcId: number; comment: string; key: string; ctx: string; ct: string; msgLength?: number; msgSha512?: string; result: string; flags: string[] }

{
  const data = load('aes_gcm_test.json');
  const group: AeadVector[] = data.testGroups
    .filter((g: { ivSize: number; tagSize: number; keySize: number }) => g.ivSize === 96 && g.tagSize === 128 && g.keySize !== 192)
    .flatMap((g: { tests: AeadVector[] }) => g.tests);
  const runnable = group.filter((v) => v.aad === '');
  it(`aes_gcm_test.json: ${runnable.length} vectors (12-byte IV, 16-byte tag, AES-128/256, empty AAD) through nodeAead`, async () => {
    for (const v of runnable) {
      const key = await nodeAead.importKey(hex(v.key));
      if (v.result === 'valid') {
        assert.equal(toHex(await nodeAead.seal(key, hex(v.iv), hex(v.msg))), v.ct + v.tag, `tcId ${v.tcId}`);
        assert.equal(toHex(await nodeAead.open(key, hex(v.iv), hex(v.ct + v.tag))), v.msg, `tcId ${v.tcId}`);
      } else {
        await rejectsCode(nodeAead.open(key, hex(v.iv), hex(v.ct + v.tag)), ['authentication_failed']);
      }
    }
  });
}

for (const [file, suite] of [
  ['c2sp_chunked_encryption_aes_128_gcm_test.json', COBBLESTONE_128],
  ['c2sp_chunked_encryption_aes_256_gcm_test.json', COBBLESTONE_256],
] as const) {
  const vectors: ChunkedVector[] = load(file).testGroups.flatMap((g: { tests: ChunkedVector[] }) => g.tests);
  describe(`${file}: ${vectors.length} vectors through nodeAead`, () => {
    it(`one-shot decryption of all ${vectors.length}, and salt-injected re-encryption of the valid ones`, async () => {
      for (const v of vectors) {
        const ct = new Uint8Array(inflateSync(Buffer.from(v.ct, 'hex')));
        const run = decryptMessage(hex(v.key), hex(v.ctx), ct, { suite, aead: nodeAead });
        if (v.result !== 'valid') {
          await assert.rejects(run, (e) => e instanceof CryptoError, `tcId ${v.tcId}`);
          continue;
        }
        const msg = await run;
        assert.equal(sha512(msg), v.msgSha512, `tcId ${v.tcId}`);
        const again = await encryptMessage(hex(v.key), hex(v.ctx), msg, { suite, aead: nodeAead, salt: ct.subarray(0, 24) });
        assert.ok(Buffer.from(again).equals(ct), `tcId ${v.tcId}`);
      }
    });
    it(`streaming decryption of all ${vectors.length}`, async () => {
      for (const v of vectors) {
        const ct = new Uint8Array(inflateSync(Buffer.from(v.ct, 'hex')));
        let stream: TransformStream<Uint8Array, Uint8Array>;
        try {
          stream = createDecryptStream(hex(v.key), hex(v.ctx), { suite, aead: nodeAead });
        } catch (e) {
          assert.ok(v.flags.includes('InvalidKeySize') && e instanceof CryptoError);
          continue;
        }
        const { out, error } = await through(ct, stream);
        const failed = error !== undefined;
        if (failed) assert.ok(error instanceof CryptoError, `tcId ${v.tcId}`);
        if (v.result === 'valid') {
          assert.ok(!failed && sha512(out) === v.msgSha512, `tcId ${v.tcId}`);
        } else {
          assert.ok(failed, `tcId ${v.tcId}`);
          assert.ok(out.length <= (v.flags.includes('PartialPlaintext') ? v.msgLength! : 0), `tcId ${v.tcId}`);
        }
      }
    });
  });
}

describe('nodeAead and webCryptoAead', () => {
  it('produce byte-identical Cobblestone ciphertexts, and each decrypts the other', async () => {
    for (const [suite, keyLength] of [[COBBLESTONE_128, 16], [COBBLESTONE_256, 32]] as const) {
      for (const size of [0, 1, 16383, 16384, 16385, 100_000]) {
        const key = new Uint8Array(randomBytes(keyLength));
        const salt = new Uint8Array(randomBytes(24));
        const msg = new Uint8Array(randomBytes(size));
        const ctx = new Uint8Array(randomBytes(20));
        const a = await encryptMessage(key, ctx, msg, { suite, salt, aead: nodeAead });
        const b = await encryptMessage(key, ctx, msg, { suite, salt, aead: webCryptoAead });
        assert.ok(Buffer.from(a).equals(b), `${suite.name} size ${size}`);
        assert.deepEqual(await decryptMessage(key, ctx, a, { suite, aead: webCryptoAead }), msg);
        assert.deepEqual(await decryptMessage(key, ctx, b, { suite, aead: nodeAead }), msg);
      }
    }
  });
  it('random access and streams work with nodeAead', async () => {
    const key = new Uint8Array(randomBytes(32));
    const ctx = new Uint8Array(0);
    const enc = await createEncryptor(key, ctx, { aead: nodeAead });
    const dec = await openDecryptor(key, ctx, enc.header, { aead: nodeAead });
    const chunk = await enc.encryptChunk(7, new Uint8Array(16384).fill(9), false);
    assert.deepEqual(await dec.decryptChunk(7, chunk, false), new Uint8Array(16384).fill(9));
    await rejectsCode(dec.decryptChunk(8, chunk, false), ['authentication_failed']);
    const msg = new Uint8Array(randomBytes(50_000));
    const { out, error } = await through(msg, createEncryptStream(key, ctx, { aead: nodeAead }));
    assert.equal(error, undefined);
    assert.deepEqual(await decryptMessage(key, ctx, out), msg);
  });
  it('seals and opens parts into caller buffers (sealInto/openInto) with the same bytes, wiping them on failure', async () => {
    const key = new Uint8Array(randomBytes(32));
    const ctx = new Uint8Array(randomBytes(20));
    const salt = new Uint8Array(randomBytes(24));
    const size = PART_PLAINTEXT_SIZE + 20_000;
    const msg = new Uint8Array(randomBytes(size));
    const web = await createEncryptor(key, ctx, { salt, aead: webCryptoAead });
    const fast = await createEncryptor(key, ctx, { salt, aead: nodeAead });
    const buffer = new Uint8Array(PART_CIPHERTEXT_SIZE + 56);
    const plain = new Uint8Array(PART_PLAINTEXT_SIZE);
    const dec = await openDecryptor(key, ctx, web.header, { aead: nodeAead });
    for (const k of [0, 1]) {
      const part = msg.subarray(k * PART_PLAINTEXT_SIZE, Math.min((k + 1) * PART_PLAINTEXT_SIZE, size));
      const expected = await encryptPart(web, size, k, part);
      const got = await encryptPart(fast, size, k, part, buffer);
      assert.ok(Buffer.from(got).equals(expected), `part ${k}`);
      assert.ok(Buffer.from(await decryptPart(dec, size, k, expected, plain)).equals(part), `part ${k} decrypted`);
    }
    const tampered = await encryptPart(web, size, 0, msg.subarray(0, PART_PLAINTEXT_SIZE));
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
    plain.fill(0xaa);
    await rejectsCode(decryptPart(dec, size, 0, tampered, plain), ['authentication_failed']);
    assert.ok(plain.every((b) => b === 0), 'no unverified plaintext is left in the caller buffer');
  });
  it('rejects bad key, nonce and ciphertext lengths like webCryptoAead', async () => {
    await rejectsCode(nodeAead.importKey(new Uint8Array(24)), ['invalid_key']);
    const key = await nodeAead.importKey(new Uint8Array(32));
    await rejectsCode(nodeAead.seal(key, new Uint8Array(8), new Uint8Array(1)), ['invalid_length']);
    await rejectsCode(nodeAead.open(key, new Uint8Array(12), new Uint8Array(15)), ['truncated']);
    await rejectsCode(nodeAead.open(key, new Uint8Array(12), new Uint8Array(16)), ['authentication_failed']);
  });
});
