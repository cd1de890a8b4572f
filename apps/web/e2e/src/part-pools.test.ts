// The part-sealer and part-opener worker pools in Chromium: parts sealed on several workers and opened on several
// others come back byte for byte, and a damaged part is refused. (The app opens parts in a pool only on machines
// with more than two cores; this test runs that path everywhere.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { entryPage, launchChromium } from './kit.js';

const MiB = 1024 * 1024;

describe('part worker pools in Chromium', async () => {
  const { browser, failure } = await launchChromium();
  if (failure) it('Chromium is available', () => assert.fail(failure));
  if (!browser) return;
  let entry: { page: Page; close(): Promise<void> };
  before(async () => {
    entry = await entryPage(browser, 'part-pools.entry.ts', 'pools ready');
  });
  after(async () => {
    await entry?.close();
    await browser.close();
  });

  const roundTrip = (size: number, damagePart: number | null) => entry.page.evaluate(
    ([s, d]) => (globalThis as unknown as { roundTrip: (s: number, d: number | null) => Promise<{ same: boolean; parts: number; failure: string | null }> }).roundTrip(s, d),
    [size, damagePart] as const,
  );

  it('parts sealed and opened on several workers come back byte for byte', async () => {
    assert.deepEqual(await roundTrip(20 * MiB + 3, null), { same: true, parts: 3, failure: null });
    assert.deepEqual(await roundTrip(5, null), { same: true, parts: 1, failure: null });
  });

  it('a damaged part is refused as an integrity failure', async () => {
    assert.deepEqual(await roundTrip(20 * MiB + 3, 1), { same: false, parts: 3, failure: 'IntegrityError' });
    assert.deepEqual(await roundTrip(20 * MiB + 3, 0), { same: false, parts: 3, failure: 'IntegrityError' });
  });
});
