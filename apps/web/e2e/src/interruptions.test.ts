// What interrupts a send in real life: a reload (or a closed tab) in the middle of an upload, and a session that
// ends while the form is filled. The same files, picked again, resume where they stopped; the form survives a
// new sign-in.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { partCount } from '@valise/crypto';
import type { Page } from 'playwright-core';
import { browserSuite, newContext, screenshot, type WebMember } from './kit.js';

const MiB = 1024 * 1024;
/** Ten parts of 8 MiB (a size of exactly 80 MiB would need an eleventh, empty, final chunk: docs/format.md §3.2). */
const SIZE = 80 * MiB - 1;

describe('interrupted sends in the browser', async () => {
  const suite = await browserSuite();
  if (!suite) return;
  const { browser } = suite;

  const fillForm = async (page: Page, file: string): Promise<void> => {
    await page.setInputFiles('#file-input', file);
    await page.getByLabel('Recipients').fill('rita@lab.example');
    await page.getByLabel('Message (optional)').fill('Suite du dossier');
  };

  const transfersOf = async (member: WebMember) => {
    return suite.web.server.ctx.database.db.selectFrom('transfers').innerJoin('users', 'users.id', 'transfers.sender_id')
      .select(['transfers.id', 'transfers.state']).where('users.email', '=', member.email).execute();
  };

  it('a reload in the middle of an upload: the same file picked again resumes, sending only missing parts', { timeout: 240_000 }, async () => {
    const file = join(suite.dir, 'irm.bin');
    await writeFile(file, randomBytes(SIZE));
    assert.equal(partCount(SIZE), 10);
    const context = await newContext(browser);
    const parts: string[] = [];
    context.on('request', (r) => { if (r.method() === 'PUT' && r.url().includes('/parts/')) parts.push(r.url()); });
    const page = await context.newPage();
    const member = await suite.web.member();
    await suite.web.signIn(page, member);
    await fillForm(page, file);
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    // Reload once a few parts are on the server.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const stored = await suite.web.server.ctx.database.db.selectFrom('parts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (Number(stored.n) >= 3) break;
      assert.ok(Date.now() < deadline, 'parts reach the server');
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.reload();
    const [interrupted] = await transfersOf(member);
    assert.equal(interrupted?.state, 'uploading');
    const before = (await suite.web.server.ctx.database.db.selectFrom('parts').select('idx').where('transfer_id', '=', interrupted!.id).execute()).length;
    assert.ok(before >= 3 && before < 10, `part of the file was uploaded (${before} of 10)`);

    parts.length = 0;
    await page.getByRole('heading', { level: 1, name: 'Send files' }).waitFor();
    await fillForm(page, file);
    // Watched from before the click: the notice shows only while the rest of the file uploads.
    const resuming = page.getByText(/^Resuming the interrupted send: \d+ of 10 parts were already uploaded\.$/u).waitFor();
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    await resuming;
    await page.getByRole('heading', { level: 1, name: 'Sent' }).waitFor({ timeout: 180_000 });
    const link = await page.getByLabel('Link to give the recipients').inputValue();
    assert.ok(link.includes(`/t/${interrupted!.id}#`), 'the same transfer was finished');
    assert.ok(parts.length <= 10 - before, `only missing parts were sent again (${parts.length} after ${before} were stored)`);
    assert.deepEqual((await transfersOf(member)).map((t) => t.state), ['ready']);
  });

  it('cancelling a send abandons the transfer on the server and forgets its keys', { timeout: 120_000 }, async () => {
    const file = join(suite.dir, 'cancel.bin');
    await writeFile(file, randomBytes(SIZE));
    const context = await newContext(browser);
    const page = await context.newPage();
    const member = await suite.web.member();
    await suite.web.signIn(page, member);
    await fillForm(page, file);
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    await page.getByRole('button', { name: 'Cancel sending' }).waitFor();
    while ((await transfersOf(member)).length === 0) await new Promise((r) => setTimeout(r, 20));
    await page.getByRole('button', { name: 'Cancel sending' }).click();
    await page.getByRole('button', { name: /^Encrypt and send/u }).waitFor();
    const [cancelled] = await transfersOf(member);
    assert.notEqual(cancelled?.state, 'uploading', 'the server no longer waits for parts');
    const stored = await page.evaluate(() => new Promise<number>((resolve, reject) => {
      const request = indexedDB.open('valise');
      request.onerror = () => reject(request.error);
      request.onsuccess = () => {
        const count = request.result.transaction('uploads').objectStore('uploads').count();
        count.onsuccess = () => resolve(count.result);
      };
    }));
    assert.equal(stored, 0, 'no resume state (keys) left in the browser');
  });

  it('a session that ends while the form is filled: sign in again in a dialog, and the send goes on', { timeout: 120_000 }, async () => {
    const file = join(suite.dir, 'note.txt');
    await writeFile(file, 'Compte rendu opératoire\n');
    const context = await newContext(browser);
    const page = await context.newPage();
    const member = await suite.web.member();
    await suite.web.signIn(page, member);
    await fillForm(page, file);
    // The session ends (an administrator revoked it, or it timed out) while the person was typing.
    const user = await suite.web.server.ctx.database.db.selectFrom('users').select('id').where('email', '=', member.email).executeTakeFirstOrThrow();
    await suite.web.server.ctx.database.db.updateTable('sessions').set({ revoked_at: Date.now() }).where('user_id', '=', user.id).execute();
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    const dialog = page.getByRole('dialog', { name: 'Please sign in again' });
    await dialog.waitFor();
    await screenshot(page, 'session-ended');
    await dialog.getByLabel('E-mail address').fill(member.email);
    await dialog.getByLabel('Password').fill(member.password);
    await dialog.getByLabel(/^Authenticator code/u).fill(suite.web.nextTotp(member));
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sent' }).waitFor({ timeout: 60_000 });
    assert.match(await page.locator('.statement').innerText(), /Only rita@lab\.example can open it/u);
    const transfers = await transfersOf(member);
    assert.deepEqual(transfers.map((t) => t.state), ['ready'], 'the form was kept: one transfer, sent');
  });
});
