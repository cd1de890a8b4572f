// Re-derives every value of test-vectors/valise-v1.json with node:crypto only, without any of the package's code.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { b64, canonical, cobblestone256, ctx, h } from './node-reference.js';

// Deliberately no import from the package (not even test-support): this is an independent implementation. Its helpers
// are in node-reference.ts, which imports node:* only.
const v = JSON.parse(readFileSync(new URL('../../test-vectors/valise-v1.json', import.meta.url), 'utf8'));

const hkdf256 = (ikm: Buffer, salt: Buffer, info: string) => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));

const transferId = h(v.inputs.transferId);
const slotId = h(v.inputs.slotId);

it('TK, W, A and the link proof with hkdfSync and createHmac', () => {
  const tk = hkdf256(Buffer.concat([h(v.inputs.ck), h(v.inputs.ss)]), transferId, 'valise/v1/transfer-key');
  assert.equal(tk.toString('hex'), v.transferKey.tk);
  const w = hkdf256(h(v.inputs.ls), Buffer.concat([transferId, slotId]), 'valise/v1/link-wrap');
  assert.equal(w.toString('hex'), v.linkSlot.w);
  const a = hkdf256(h(v.inputs.ls), Buffer.concat([transferId, slotId]), 'valise/v1/link-auth');
  assert.equal(a.toString('hex'), v.linkAuth.a);
  const proof = createHmac('sha256', a).update(Buffer.concat([ctx('valise/v1/link-proof', transferId), h(v.inputs.linkNonce)])).digest();
  assert.equal(proof.toString('hex'), v.linkAuth.proof);
  assert.equal(b64(transferId), v.inputs.transferIdText);
  assert.equal(b64(h(v.inputs.ls)), v.inputs.lsText);
});

it('link slot with createCipheriv', () => {
  const w = h(v.linkSlot.w);
  const context = ctx('valise/v1/link-slot', transferId, slotId);
  assert.equal(context.toString('hex'), v.linkSlot.context);
  const { keys, ciphertext } = cobblestone256(w, context, h(v.inputs.slotSalt), h(v.inputs.ck));
  assert.deepEqual(keys, v.linkSlot.messageKeys);
  assert.equal(ciphertext.length, 104);
  assert.equal(ciphertext.toString('hex'), v.linkSlot.slot);
});

it('file bodies, part hashes, manifest and its ciphertext with createCipheriv and createHash', () => {
  const files = v.inputs.files.map((input: { fileId: string; fk: string; salt: string; name: string; type: string; size: number; plaintext: { mul: number; add: number } }, i: number) => {
    const expected = v.files[i];
    const plaintext = Buffer.alloc(input.size);
    for (let j = 0; j < input.size; j++) plaintext[j] = (j * input.plaintext.mul + input.plaintext.add) & 0xff;
    const context = ctx('valise/v1/file', transferId, h(input.fileId));
    assert.equal(context.toString('hex'), expected.context);
    const { keys, ciphertext } = cobblestone256(h(input.fk), context, h(input.salt), plaintext);
    assert.deepEqual(keys, expected.messageKeys);
    assert.equal(ciphertext.length, expected.ciphertextSize);
    assert.equal(createHash('sha256').update(ciphertext).digest('hex'), expected.ciphertextSha256);
    if (expected.ciphertext !== undefined) assert.equal(ciphertext.toString('hex'), expected.ciphertext);
    // Parts of 512 chunks; part 0 includes the 56-byte header.
    const partHashes: string[] = [];
    for (let start = 0, k = 0; start < ciphertext.length; k++) {
      const end = Math.min(56 + (k + 1) * 512 * 16400, ciphertext.length);
      assert.deepEqual({ start, end }, { start: expected.parts[k].start, end: expected.parts[k].end });
      partHashes.push(b64(createHash('sha256').update(ciphertext.subarray(start, end)).digest()));
      start = end;
    }
    assert.deepEqual(partHashes, expected.parts.map((p: { sha256: string }) => p.sha256));
    return { fileId: b64(h(input.fileId)), key: b64(h(input.fk)), name: input.name, type: input.type, size: input.size, ciphertextSize: ciphertext.length, partHashes };
  });
  const manifest = { v: 1, transferId: b64(transferId), createdAt: v.inputs.createdAt, message: v.inputs.message, files };
  const json = canonical(manifest);
  assert.equal(json, v.manifest.canonicalJson);
  const tk = h(v.transferKey.tk);
  const context = ctx('valise/v1/manifest', transferId);
  assert.equal(context.toString('hex'), v.manifest.context);
  const { keys, ciphertext } = cobblestone256(tk, context, h(v.inputs.manifestSalt), Buffer.from(json, 'utf8'));
  assert.deepEqual(keys, v.manifest.messageKeys);
  assert.equal(ciphertext.toString('hex'), v.manifest.ciphertext);
});
