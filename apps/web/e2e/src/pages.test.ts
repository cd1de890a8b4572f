// Every page in a real Chromium: axe-core finds no violation, the closed-link pages say why, the language follows
// the browser and can be switched (server errors included), and a member can send with the keyboard alone.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ValiseApi, openTransfer } from '@valise/client';
import { inviteMember } from '@valise/server';
import { ManualClock } from '@valise/server/testing';
import type { Page } from 'playwright-core';
import { axeViolations, browserSuite, expectFocus, newContext, screenshot, tabTo } from './kit.js';

describe('web pages', async () => {
  const clock = new ManualClock(Date.now());
  const suite = await browserSuite({ clock });
  if (!suite) return;
  const { browser } = suite;

  /** axe on the page as it is, plus a screenshot named after it. */
  async function accessible(page: Page, name: string): Promise<void> {
    await screenshot(page, name);
    assert.deepEqual(await axeViolations(page), [], `axe-core on ${name}`);
  }

  it('every page passes axe-core, signed out, signed in, and in French', async () => {
    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${suite.web.url}/signin`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await accessible(page, 'signin');
    await page.goto(`${suite.web.url}/accessibility`);
    await page.getByRole('heading', { level: 1, name: 'Accessibility' }).waitFor();
    // The check can fail: an image without a text alternative is reported.
    await page.evaluate(() => document.body.append(Object.assign(document.createElement('img'), { src: '/favicon.svg' })));
    assert.ok((await axeViolations(page)).some((v) => v.startsWith('image-alt')));
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Accessibility' }).waitFor();
    await accessible(page, 'accessibility');
    await page.goto(`${suite.web.url}/nowhere-at-all`).catch(() => undefined);
    await page.goto(`${suite.web.url}/t/AAAAAAAAAAAAAAAAAAAAAA`);
    await page.getByText('This link is incomplete').waitFor();
    await accessible(page, 'receive-no-secret');

    const { enrollmentLink } = await inviteMember(suite.web.server.ctx, 'new.nurse@hospital.example', { admin: false });
    await page.goto(enrollmentLink.replace(/^https?:\/\/[^/]+/u, suite.web.url));
    await page.getByRole('img', { name: /QR code/u }).waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the enrollment token left the address bar');
    await accessible(page, 'enroll');

    const member = await suite.web.member();
    await suite.web.signIn(page, member);
    await accessible(page, 'send');
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    await page.getByText('Choose at least one file.').waitFor();
    await accessible(page, 'send-errors');
    await page.getByRole('link', { name: 'My transfers' }).click();
    await page.getByText('You have not sent anything yet.').waitFor();
    await accessible(page, 'dashboard-empty');

    const api = await suite.web.apiFor(member);
    const link = await suite.web.sendWithApi(api, { recipients: ['rita@lab.example'], message: 'Bonjour' });
    await page.reload();
    await page.getByText('Who opened what, and when').click();
    await page.getByText('Nobody has opened this transfer yet.').waitFor();
    await accessible(page, 'dashboard');
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog', { name: 'Revoke this transfer?' }).waitFor();
    await accessible(page, 'dashboard-revoke-dialog');
    await page.keyboard.press('Escape');

    const recipient = await newContext(browser, 'en-GB', { bypassCSP: true });
    const inbox = await recipient.newPage();
    await inbox.goto(link);
    await inbox.getByLabel('Your e-mail address').waitFor();
    await accessible(inbox, 'receive-identify');
    await inbox.getByLabel('Your e-mail address').fill('rita@lab.example');
    await inbox.getByRole('button', { name: 'Send me a code' }).click();
    await inbox.getByLabel('Code from the e-mail').waitFor();
    await accessible(inbox, 'receive-code');
    await inbox.getByLabel('Code from the e-mail').fill('00000000');
    await inbox.getByRole('button', { name: 'Open' }).click();
    await inbox.getByText('That code is not right. 4 attempts left.').waitFor();
    await accessible(inbox, 'receive-code-wrong');
    await inbox.getByLabel('Code from the e-mail').fill(await suite.web.outbox.nextCode('rita@lab.example'));
    await inbox.getByRole('button', { name: 'Open' }).click();
    await inbox.getByRole('button', { name: 'Save into a folder…' }).waitFor();
    await accessible(inbox, 'receive-ready');

    const french = await newContext(browser, 'fr-FR', { bypassCSP: true });
    const fr = await french.newPage();
    await fr.goto(`${suite.web.url}/signin`);
    await fr.getByRole('heading', { level: 1, name: 'Se connecter' }).waitFor();
    await accessible(fr, 'signin-fr');
  });

  it('expired, used-up and revoked links each get their own page, before any code is asked', async () => {
    const member = await suite.web.member();
    const api = await suite.web.apiFor(member);
    const expiring = await suite.web.sendWithApi(api, { recipients: ['rita@lab.example'], expiresInSeconds: 3600 });
    const usedUp = await suite.web.sendWithApi(api, { recipients: ['rita@lab.example'], maxDownloads: 1 });
    const revoked = await suite.web.sendWithApi(api, { recipients: ['rita@lab.example'] });
    await openTransfer(usedUp, { email: 'rita@lab.example', askCode: () => suite.web.outbox.nextCode('rita@lab.example') });
    await api.revokeTransfer(revoked.split('/t/')[1]!.split('#')[0]!);
    clock.advance(3600 * 1000);

    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    const page = await context.newPage();
    for (const [link, title, name] of [
      [expiring, 'This link has expired', 'closed-expired'],
      [usedUp, 'This link has been used up', 'closed-exhausted'],
      [revoked, 'This link was withdrawn', 'closed-revoked'],
    ] as const) {
      await page.goto(link);
      await page.getByRole('heading', { level: 2, name: title }).waitFor();
      assert.equal(await page.getByLabel('Your e-mail address').count(), 0, 'no code is asked for a closed link');
      await accessible(page, name);
    }
    const fr = await (await newContext(browser, 'fr-FR')).newPage();
    await fr.goto(expiring);
    await fr.getByRole('heading', { level: 2, name: 'Ce lien a expiré' }).waitFor();

    // Once purged, the sender sees the proof of deletion: each stored part, its recorded SHA-256, confirmed gone.
    // The server's own purge timer may be mid-run (runOnce then joins that run, which may have started before the
    // clock moved): a second runOnce is a run of its own. Check the state, not which run purged it.
    await suite.web.domain.transfers.purge.runOnce();
    await suite.web.domain.transfers.purge.runOnce();
    const expiringId = expiring.split('/t/')[1]!.split('#')[0]!;
    const purged = await suite.web.server.ctx.database.db.selectFrom('transfers').select('state').where('id', '=', expiringId).executeTakeFirstOrThrow();
    assert.equal(purged.state, 'purged');
    await suite.web.signIn(page, member);
    await page.getByRole('link', { name: 'My transfers' }).click();
    const item = page.locator('li.transfer', { hasText: 'expired, deleted' });
    await item.getByText('Proof of deletion').click();
    const summary = item.locator('.deletion-proof p').first();
    await summary.getByText(/^Deleted on .* \(expired, deleted\), \d+ seconds? after the deadline\. Stored parts: 1 \(.*\), each confirmed gone by the storage\.$/u).waitFor();
    const recorded = await suite.web.server.ctx.database.db.selectFrom('deletion_records').select('parts').where('transfer_id', '=', expiringId).executeTakeFirstOrThrow();
    const [part] = JSON.parse(recorded.parts) as { sha256: string }[];
    assert.deepEqual(await item.locator('.deletion-parts tbody td code').allInnerTexts(), [part!.sha256]);
    await accessible(page, 'dashboard-deletion-proof');
  });

  it('too many wrong codes: the page says so, and the right code no longer opens', async () => {
    const member = await suite.web.member();
    const api = await suite.web.apiFor(member);
    const link = await suite.web.sendWithApi(api, { recipients: ['rita@lab.example'] });
    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByLabel('Your e-mail address').fill('rita@lab.example');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    const code = await suite.web.outbox.nextCode('rita@lab.example');
    const wrong = code === '00000000' ? '11111111' : '00000000';
    for (let attempt = 1; attempt <= 5; attempt++) {
      await page.getByLabel('Code from the e-mail').fill(wrong);
      await page.getByRole('button', { name: 'Open' }).click();
      if (attempt < 5) await page.getByText(attempt === 4 ? 'That code is not right. 1 attempt left.' : `That code is not right. ${5 - attempt} attempts left.`).waitFor();
    }
    await page.getByRole('alert').filter({ hasText: /Too many wrong codes|That code is not right/u }).waitFor();
    assert.equal(await page.getByLabel('Code from the e-mail').count(), 0, 'no sixth attempt is offered');
    await accessible(page, 'receive-too-many-attempts');
  });

  it('follows the browser language, switches on request, remembers it, and words server errors in it', async () => {
    const context = await newContext(browser, 'fr-FR');
    const page = await context.newPage();
    await page.goto(`${suite.web.url}/signin`);
    await page.getByRole('heading', { level: 1, name: 'Se connecter' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    await page.getByLabel('Adresse e-mail').fill('nobody@hospital.example');
    await page.getByLabel('Mot de passe').fill('not the password at all');
    await page.getByLabel(/^Code d’authentification/u).fill('123456');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('alert').filter({ hasText: 'L’adresse e-mail, le mot de passe ou le code n’est pas le bon.' }).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  });

  it('a whole folder can be sent: each file named by its path inside the folder', async () => {
    const folder = join(suite.dir, 'dossier');
    await mkdir(join(folder, 'imagerie'), { recursive: true });
    await writeFile(join(folder, 'lettre.txt'), 'Cher confrère,\n');
    await writeFile(join(folder, 'imagerie', 'irm.dcm'), Buffer.from([1, 2, 3, 4]));
    const context = await newContext(browser);
    const page = await context.newPage();
    await suite.web.signIn(page, await suite.web.member());
    await page.setInputFiles('#folder-input', folder);
    await page.getByText('dossier/imagerie/irm.dcm').waitFor();
    await page.getByLabel('Recipients').fill('rita@lab.example');
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    await page.getByRole('heading', { level: 1, name: 'Sent' }).waitFor();
    const link = await page.getByLabel('Link to give the recipients').inputValue();
    const opened = await openTransfer(link, { email: 'rita@lab.example', askCode: () => suite.web.outbox.nextCode('rita@lab.example') });
    assert.deepEqual(opened.manifest.files.map((f) => f.name).sort(), ['dossier/imagerie/irm.dcm', 'dossier/lettre.txt']);
  });

  it('My transfers shows the newest 50, then older ones on request', async () => {
    const member = await suite.web.member();
    const api = await suite.web.apiFor(member);
    for (let i = 0; i < 52; i++) {
      clock.advance(1000); // one second apart: the order is the sending order
      await suite.web.sendWithApi(api, { recipients: [`r${i}@lab.example`] });
    }
    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    const page = await context.newPage();
    await suite.web.signIn(page, member);
    await page.getByRole('link', { name: 'My transfers' }).click();
    await page.locator('li.transfer').first().waitFor();
    assert.equal(await page.locator('li.transfer').count(), 50);
    assert.match(await page.locator('li.transfer').first().innerText(), /r51@lab\.example/u, 'the newest first');
    await page.getByRole('button', { name: 'Show older transfers' }).click();
    await page.getByText('2 older transfers shown.').waitFor();
    assert.equal(await page.locator('li.transfer').count(), 52);
    assert.match(await page.locator('li.transfer').last().innerText(), /r0@lab\.example/u, 'the oldest last');
    assert.equal(await page.getByRole('button', { name: 'Show older transfers' }).count(), 0, 'nothing older is left');
    await accessible(page, 'dashboard-older');
    await context.close();
  });

  it('a member sends with the keyboard alone, and copies the link', async () => {
    await writeFile(join(suite.dir, 'bilan.pdf'), Buffer.from('%PDF-1.4 bilan\n'));
    const context = await newContext(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.web.url });
    const page = await context.newPage();
    const member = await suite.web.member();
    await suite.web.signIn(page, member);
    await page.goto(`${suite.web.url}/send`);
    await page.getByRole('heading', { level: 1, name: 'Send files' }).waitFor();
    await tabTo(page, '#file-input');
    // Space opens a focused file input (Enter too, in Chromium): either is the keyboard's way to the picker.
    const chooser = await Promise.all([page.waitForEvent('filechooser', { timeout: 10_000 }), page.keyboard.press('Space')])
      .then(([c]) => c, () => Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]).then(([c]) => c));
    await chooser.setFiles(join(suite.dir, 'bilan.pdf'));
    await page.getByText('bilan.pdf').waitFor();
    await tabTo(page, 'textarea');
    await page.keyboard.type('dr.martin@clinic.example, lab@clinic.example');
    await tabTo(page, 'select#expiry');
    await page.keyboard.press('ArrowDown'); // 14 days, from the default 7
    await tabTo(page, 'input[type=number]');
    await page.keyboard.type('3');
    await tabTo(page, 'button.primary[type=submit]');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Sent' }).waitFor();
    await expectFocus(page, '#link', 'focus moves to the link');
    const statement = await page.locator('.statement').innerText();
    assert.match(statement, /Only dr\.martin@clinic\.example, lab@clinic\.example can open it/u);
    assert.match(statement, /It can be downloaded 3 times\./u);
    await tabTo(page, 'button.primary');
    await page.keyboard.press('Enter');
    await page.getByText('Link copied.').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, await page.getByLabel('Link to give the recipients').inputValue());
    const detail = await new ValiseApi({ serverUrl: suite.web.url }).withToken((await suite.web.apiFor(member)).token).listTransfers();
    assert.equal(detail.transfers[0]!.expiresAt! - detail.transfers[0]!.createdAt, 14 * 86_400_000);
  });
});
