// A member sends two files (one of 200 MiB) from the browser; a recipient in another browser context opens the
// link, types the code from the outbox, and saves both files, byte-identical. Both pages talk to nothing but the
// Valise server; the link's secret leaves the address bar and never reaches the server.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Download } from 'playwright-core';
import { browserSuite, newContext, screenshot, watch } from './kit.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('send and receive in the browser', async () => {
  const suite = await browserSuite();
  if (!suite) return;
  const { browser } = suite;

  it('two files, one of 200 MiB, arrive byte-identical in another browser context', { timeout: 300_000 }, async () => {
    const small = Buffer.from('Résultats — patient 0042\nNégatif.\n', 'utf8');
    const big = Buffer.concat(Array.from({ length: 200 }, () => randomBytes(MiB)));
    await writeFile(join(suite.dir, 'résultats.txt'), small);
    await writeFile(join(suite.dir, 'scan.bin'), big);

    const sender = await newContext(browser);
    const sent = watch(sender);
    const page = await sender.newPage();
    const member = await suite.web.member();
    await suite.web.signIn(page, member);
    await page.setInputFiles('#file-input', [join(suite.dir, 'résultats.txt'), join(suite.dir, 'scan.bin')]);
    await page.getByLabel('Recipients').fill('rita@lab.example');
    await page.getByLabel('Message (optional)').fill('Voici les résultats.\nBien à vous.');
    // Results are health data: that class's own bounds and rules replace the standard ones in the form.
    assert.equal(await page.getByLabel('Data class').inputValue(), 'standard');
    assert.equal((await page.locator('#expiry option').allInnerTexts()).at(-1), '30 days');
    await page.getByLabel('Data class').selectOption('health');
    assert.match(await page.locator('#data-class-hint').innerText(), /7 days at most\..*Deleted as soon as every recipient has downloaded\./su);
    assert.equal((await page.locator('#expiry option').allInnerTexts()).at(-1), '7 days');
    assert.equal(await page.locator('#expiry').inputValue(), String(3 * 86_400), 'the class default');
    await screenshot(page, 'send-filled');
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    await page.getByRole('heading', { level: 1, name: 'Sent' }).waitFor({ timeout: 240_000 });
    await screenshot(page, 'send-done');
    const link = await page.getByLabel('Link to give the recipients').inputValue();
    assert.match(link, new RegExp(`^${suite.web.url}/t/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$`, 'u'));
    assert.match(await page.locator('.statement').innerText(), /Only rita@lab\.example can open it.*Data class: Health data\./su);

    const recipient = await newContext(browser);
    const received = watch(recipient);
    const inbox = await recipient.newPage();
    await inbox.goto(link);
    await inbox.getByLabel('Your e-mail address').fill('rita@lab.example');
    assert.equal(new URL(inbox.url()).hash, '', 'the secret left the address bar');
    await inbox.getByRole('button', { name: 'Send me a code' }).click();
    await inbox.getByLabel('Code from the e-mail').fill(await suite.web.outbox.nextCode('rita@lab.example'));
    await screenshot(inbox, 'receive-code');
    await inbox.getByRole('button', { name: 'Open' }).click();
    await inbox.getByText('Voici les résultats.').waitFor();
    assert.deepEqual(await inbox.locator('.file-name').allInnerTexts(), ['résultats.txt', 'scan.bin']);
    await screenshot(inbox, 'receive-ready');
    // Into the browser's downloads: each file streams there through the save service worker as it is decrypted.
    const downloads: Download[] = [];
    inbox.on('download', (d) => downloads.push(d));
    await inbox.getByRole('button', { name: 'Download in the browser' }).click();
    await inbox.getByText('All files were verified and decrypted. Your browser saved them in its downloads:').waitFor({ timeout: 240_000 });
    await screenshot(inbox, 'receive-done');
    assert.deepEqual(downloads.map((d) => d.suggestedFilename()), ['résultats.txt', 'scan.bin']);
    for (const [download, bytes] of [[downloads[0]!, small], [downloads[1]!, big]] as const) {
      assert.equal(await download.failure(), null);
      assert.equal(sha256(await readFile(await download.path())), sha256(bytes), `${download.suggestedFilename()} is byte-identical`);
    }

    // The sender sees who opened it.
    await page.goto(`${suite.web.url}/transfers`);
    await page.getByText('Who opened what, and when').click();
    await page.getByText('rita@lab.example opened the transfer').waitFor();
    await page.getByText('rita@lab.example finished downloading').waitFor();
    assert.equal(await page.locator('.facts dt:has-text("Data class") + dd').first().innerText(), 'Health data');
    await screenshot(page, 'dashboard-after');

    for (const url of [...sent.requests, ...received.requests]) {
      assert.ok(url.startsWith(`${suite.web.url}/`) || url.startsWith('blob:'), `only the Valise server is contacted (${url})`);
      assert.ok(!url.includes('#'), 'no request carries a fragment');
    }
    assert.ok(!received.requests.some((u) => u.includes(link.split('#')[1]!)), 'the link secret never goes to the server');
    assert.deepEqual([...sent.errors, ...received.errors], []);
  });
});
