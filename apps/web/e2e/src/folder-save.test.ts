// Receiving into a folder (File System Access API): files stream to disk as they are decrypted, and a download
// that fails verification leaves nothing in the folder. Headless Chromium cannot answer a folder picker, so the
// picker hands out the origin-private file system's root: a directory handle with the very same API.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSuite, newContext, screenshot } from './kit.js';

const MiB = 1024 * 1024;

describe('receiving into a folder', async () => {
  const suite = await browserSuite();
  if (!suite) return;

  const recipientPage = async (): Promise<Page> => {
    const context = await newContext(suite.browser);
    await context.addInitScript(() => {
      (globalThis as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker =
        () => navigator.storage.getDirectory();
    });
    return context.newPage();
  };

  const open = async (page: Page, link: string): Promise<void> => {
    await suite.web.openAsRecipient(page, link);
    await page.getByRole('button', { name: 'Save into a folder…' }).click();
  };

  /** Name → SHA-256 of every file in the origin-private folder. */
  const folderContents = (page: Page) => page.evaluate(async () => {
    const out: Record<string, string> = {};
    const root = await navigator.storage.getDirectory();
    for await (const [name, handle] of (root as unknown as AsyncIterable<[string, FileSystemFileHandle]>)) {
      const bytes = await (await handle.getFile()).arrayBuffer();
      out[name] = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
    }
    return out;
  });

  it('streams every file into the chosen folder, byte-identical, without replacing what is there', { timeout: 120_000 }, async () => {
    const member = await suite.web.member();
    const api = await suite.web.apiFor(member);
    const big = randomBytes(40 * MiB);
    const file = { name: 'irm.bin', type: 'application/octet-stream', size: big.length, readRange: async (a: number, b: number) => new Uint8Array(big.subarray(a, b)) };
    const { uploadTransfer } = await import('@valise/client');
    const { link } = await uploadTransfer({ api, files: [file, { ...file, name: '../../etc/passwd', size: 5, readRange: async (a: number, b: number) => new TextEncoder().encode('root\n').slice(a, b) }], recipients: ['rita@lab.example'] });
    const page = await recipientPage();
    await page.goto(suite.web.url + '/accessibility');
    await page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      const existing = await (await root.getFileHandle('irm.bin', { create: true })).createWritable();
      await existing.write('already here');
      await existing.close();
    });
    await open(page, link);
    await page.getByText('All files were verified, decrypted and saved in the folder you chose:').waitFor({ timeout: 90_000 });
    await screenshot(page, 'receive-saved-to-folder');
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    assert.deepEqual(await folderContents(page), {
      'irm.bin': sha(Buffer.from('already here')),
      'irm (1).bin': sha(big),
      'passwd': sha(Buffer.from('root\n')),
    });
  });

  it('a download altered on the server fails verification and leaves nothing in the folder', { timeout: 120_000 }, async () => {
    const member = await suite.web.member();
    const api = await suite.web.apiFor(member);
    const link = await suite.web.sendWithApi(api, { recipients: ['rita@lab.example'] });
    const transferId = link.split('/t/')[1]!.split('#')[0]!;
    await suite.web.alterStoredPart(transferId);

    const page = await recipientPage();
    await open(page, link);
    await page.getByRole('alert').filter({ hasText: 'The files could not be verified' }).waitFor({ timeout: 60_000 });
    await screenshot(page, 'receive-tampered');
    assert.deepEqual(await folderContents(page), {}, 'no file, not even an empty one');
  });
});
