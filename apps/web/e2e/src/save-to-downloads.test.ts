// Receiving into the browser's own downloads, for browsers without the File System Access API (Firefox, Safari):
// the files stream there through the save service worker as they are decrypted, and a download that fails
// verification is failed in the browser, which deletes what it wrote. Where service workers are blocked too (by
// policy, or in a private window), the files are kept as Blobs: that path must hold a file of more than 2 GiB.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Download, Page } from 'playwright-core';
import { uploadTransfer } from '@valise/client';
import { browserSuite, newContext, persistentContext, screenshot } from './kit.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Deterministic bytes readable at any offset without holding a 2 GiB buffer: a random block repeated with a period
 * (1 MiB + 7) that no part size divides, so that no two parts are alike.
 */
function generatedFile(name: string, size: number) {
  const period = MiB + 7;
  const block = randomBytes(period);
  const bytesAt = (start: number, end: number): Uint8Array => {
    const out = new Uint8Array(end - start);
    for (let at = start; at < end;) {
      const offset = at % period;
      const n = Math.min(period - offset, end - at);
      out.set(block.subarray(offset, offset + n), at - start);
      at += n;
    }
    return out;
  };
  const digest = () => {
    const hash = createHash('sha256');
    for (let at = 0; at < size; at += 64 * MiB) hash.update(bytesAt(at, Math.min(size, at + 64 * MiB)));
    return hash.digest('hex');
  };
  return { name, type: 'application/octet-stream', size, readRange: async (a: number, b: number) => bytesAt(a, b), digest };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 8 * MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('receiving into the browser’s downloads', async () => {
  const suite = await browserSuite();
  if (!suite) return;

  /**
   * A recipient's page in a browser without the File System Access API; optionally without service workers too,
   * then in an everyday profile on disk (where the browser keeps large Blobs) rather than a private window.
   */
  const recipientPage = async (serviceWorkers: 'allow' | 'block'): Promise<{ page: Page; downloads: Download[] }> => {
    const context = serviceWorkers === 'allow'
      ? await newContext(suite.browser, 'en-GB')
      : await persistentContext(await mkdtemp(join(suite.dir, 'profile-')), { serviceWorkers });
    after(() => context.close());
    await context.addInitScript(() => {
      delete (Window.prototype as unknown as { showDirectoryPicker?: unknown }).showDirectoryPicker;
      delete (globalThis as unknown as { showDirectoryPicker?: unknown }).showDirectoryPicker;
    });
    const page = await context.newPage();
    const downloads: Download[] = [];
    page.on('download', (d) => downloads.push(d));
    return { page, downloads };
  };

  const openAndDownload = async (page: Page, link: string): Promise<void> => {
    await suite.web.openAsRecipient(page, link);
    assert.equal(await page.getByRole('button', { name: 'Save into a folder…' }).count(), 0, 'no folder picker in this browser');
    await page.getByRole('button', { name: 'Download and decrypt' }).click();
  };

  it('streams each file into the downloads through the service worker, byte-identical', { timeout: 180_000 }, async () => {
    const api = await suite.web.apiFor(await suite.web.member());
    const big = generatedFile('irm série 2.bin', 40 * MiB + 3);
    const small = { name: '../notes "médecin".txt', type: 'text/html', size: 6, readRange: async (a: number, b: number) => new TextEncoder().encode('<b>ok\n').slice(a, b) };
    const { link } = await uploadTransfer({ api, files: [big, small], recipients: ['rita@lab.example'] });

    const { page, downloads } = await recipientPage('allow');
    await openAndDownload(page, link);
    await page.getByText('All files were verified and decrypted. Your browser saved them in its downloads:').waitFor({ timeout: 120_000 });
    await screenshot(page, 'receive-saved-to-downloads');
    assert.deepEqual(downloads.map((d) => d.suggestedFilename()), ['irm série 2.bin', 'notes _médecin_.txt']);
    for (const d of downloads) assert.equal(await d.failure(), null);
    assert.equal(await sha256OfFile(await downloads[0]!.path()), big.digest());
    assert.equal(sha256(await readFile(await downloads[1]!.path())), sha256(new TextEncoder().encode('<b>ok\n')));
    const registration = await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map((r) => new URL(r.scope).pathname));
    assert.deepEqual(registration, ['/_save/'], 'the service worker controls nothing but /_save/');
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller), null, 'the page itself is not controlled');
  });

  it('a part altered on the server fails the download in the browser, which keeps nothing', { timeout: 180_000 }, async () => {
    const api = await suite.web.apiFor(await suite.web.member());
    const file = generatedFile('scan.bin', 24 * MiB - 1); // three parts (a multiple of 8 MiB would add an empty fourth)
    const { link, transferId } = await uploadTransfer({ api, files: [file], recipients: ['rita@lab.example'] });
    // The last part: the first parts stream into the download before the damage is found.
    await suite.web.alterStoredPart(transferId, 'last');

    const { page, downloads } = await recipientPage('allow');
    await openAndDownload(page, link);
    await page.getByRole('alert').filter({ hasText: 'The files could not be verified' }).waitFor({ timeout: 120_000 });
    await screenshot(page, 'receive-tampered-download');
    assert.equal(downloads.length, 1, 'the download had begun');
    assert.notEqual(await downloads[0]!.failure(), null, 'the browser marks it failed');
    assert.equal(await downloads[0]!.path().catch(() => null), null, 'and keeps no file');
    assert.equal(await page.getByRole('button', { name: 'Try again' }).count(), 0, 'damaged data is not offered again');
  });

  it('a download interrupted by a reload resumes from the same link: no new code, no second download spent', { timeout: 180_000 }, async () => {
    const api = await suite.web.apiFor(await suite.web.member());
    const file = generatedFile('dossier.bin', 64 * MiB - 1);
    const { link, transferId } = await uploadTransfer({ api, files: [file], recipients: ['rita@lab.example'], maxDownloads: 1 });
    const mailsToRita = async () => (await suite.web.outbox.messages()).filter((m) => m.to === 'rita@lab.example').length;
    const mailsBefore = await mailsToRita();

    const { page, downloads } = await recipientPage('allow');
    const begun = page.waitForEvent('download');
    await openAndDownload(page, link);
    await begun;
    await page.reload();
    await page.getByText('This link is incomplete').waitFor(); // the secret left the address bar for good
    await page.goto(link); // the person opens the link from the e-mail again
    await page.getByRole('button', { name: 'Download and decrypt' }).click();
    await page.getByText('All files were verified and decrypted. Your browser saved them in its downloads:').waitFor({ timeout: 120_000 });

    assert.equal(await mailsToRita(), mailsBefore + 1, 'one code only, for the first opening');
    const row = await suite.web.server.ctx.database.db.selectFrom('transfers').select(['downloads_used', 'max_downloads']).where('id', '=', transferId).executeTakeFirstOrThrow();
    assert.deepEqual(row, { downloads_used: 1, max_downloads: 1 });
    assert.equal(downloads.length, 2);
    assert.notEqual(await downloads[0]!.failure(), null, 'the interrupted download failed in the browser rather than hang');
    const saved = downloads[1]!;
    assert.equal(await saved.failure(), null);
    assert.equal(await sha256OfFile(await saved.path()), file.digest());
    // Completed: the grant is forgotten, and the link (one download only) is now used up.
    await page.goto(link);
    await page.getByRole('heading', { name: 'This link has been used up' }).waitFor();
  });

  it('with service workers blocked too, a file of more than 2 GiB arrives as a Blob, byte-identical', { timeout: 600_000 }, async () => {
    const api = await suite.web.apiFor(await suite.web.member());
    const file = generatedFile('archive.bin', 2 * 1024 * MiB + MiB + 5);
    const { link } = await uploadTransfer({ api, files: [file], recipients: ['rita@lab.example'] });
    const { page, downloads } = await recipientPage('block');
    await openAndDownload(page, link);
    const save = page.getByRole('link', { name: 'Save archive.bin' });
    await save.waitFor({ timeout: 480_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), save.click()]);
    assert.equal(await download.failure(), null);
    assert.equal(await sha256OfFile(await download.path()), file.digest());
    assert.equal(downloads.length, 1);
  });
});
