// The format's vectors inside Chromium: every Wycheproof Cobblestone vector (AES-128 and AES-256) and Valise's own
// known-answer objects, computed by @valise/crypto on the browser's WebCrypto, must match the committed answers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { allTests, chunkedCiphertext, loadValiseVectors, loadWycheproof, type ChunkedVector } from '@valise/crypto/testing';
import type { Page } from 'playwright-core';
import { entryPage, launchChromium } from './kit.js';

interface Answer { tcId: number; ok: boolean; length: number; sha512: string; code: string | null }

describe('crypto vectors in Chromium', async () => {
  const { browser, failure } = await launchChromium();
  if (failure) it('Chromium is available', () => assert.fail(failure));
  if (!browser) return;
  let entry: { page: Page; close(): Promise<void> };
  let page: Page;
  before(async () => {
    entry = await entryPage(browser, 'crypto-vectors.entry.ts', 'vectors ready');
    page = entry.page;
  });
  after(async () => {
    await entry?.close();
    await browser.close();
  });

  for (const [file, bits] of [['c2sp_chunked_encryption_aes_128_gcm_test.json', 128], ['c2sp_chunked_encryption_aes_256_gcm_test.json', 256]] as const) {
    it(`${file}: every vector decrypts or fails as it must`, async () => {
      const data = loadWycheproof<ChunkedVector>(file);
      const vectors = allTests(data);
      assert.equal(vectors.length, data.numberOfTests);
      const cases = vectors.map((v) => ({ tcId: v.tcId, bits, key: v.key, ctx: v.ctx, ct: Buffer.from(chunkedCiphertext(v)).toString('hex') }));
      const answers = await page.evaluate(
        (c) => (globalThis as unknown as { valiseVectors: { cobblestone(c: unknown): Promise<Answer[]> } }).valiseVectors.cobblestone(c), cases);
      assert.equal(answers.length, vectors.length);
      for (const [i, v] of vectors.entries()) {
        const a = answers[i]!;
        assert.equal(a.tcId, v.tcId);
        if (v.result === 'valid') {
          assert.deepEqual({ ok: a.ok, length: a.length, sha512: a.sha512 }, { ok: true, length: v.msgLength, sha512: v.msgSha512 }, `tcId ${v.tcId}`);
        } else {
          assert.equal(a.ok, false, `tcId ${v.tcId} (${v.comment}) must fail`);
          if (v.flags.includes('InvalidKeySize')) assert.equal(a.code, 'invalid_key');
          if (v.flags.includes('WrongKey') || v.flags.includes('WrongContext')) assert.equal(a.code, 'commitment_mismatch');
        }
      }
    });
  }

  it('Valise known-answer objects: transfer key, link slot, link-auth key and proof', async () => {
    const v = loadValiseVectors();
    const got = await page.evaluate(
      (inputs) => (globalThis as unknown as { valiseVectors: { valise(i: unknown): Promise<Record<string, string>> } }).valiseVectors.valise(inputs),
      { ck: v.inputs.ck, ss: v.inputs.ss, ls: v.inputs.ls, transferId: v.inputs.transferId, slotId: v.inputs.slotId, slotSalt: v.inputs.slotSalt, linkNonce: v.inputs.linkNonce });
    assert.deepEqual(got, { tk: v.transferKey.tk, slot: v.linkSlot.slot, unwrapped: v.inputs.ck, a: v.linkAuth.a, proof: v.linkAuth.proof });
  });
});
