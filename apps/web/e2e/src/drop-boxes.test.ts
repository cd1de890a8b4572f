// Drop boxes in a real Chromium against the real server (docs/format.md §13). An outside lab, with no account,
// opens a box link, confirms its address with the code from the outbox, deposits files and gets a receipt; the
// box's owner then opens the deposit with the client engine and gets the same bytes. A link whose key does not match
// the box (or a box whose signed name was changed on the server) is refused before anything is sent; a disallowed
// domain and a wrong code are refused in words. A member unlocks their keys in the page and creates a box there;
// the link it shows takes a deposit. axe-core checks every new page.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type FileSink, type UnlockedAccount, ValiseApi, createBox, depositFiles, downloadTransfer, openBox, openDepositTransfer, verifyDepositor,
} from '@valise/client';
import { createDropBox, toBase64Url } from '@valise/crypto';
import { testOrg } from '@valise/crypto/testing';
import type { Page } from 'playwright-core';
import { axeViolations, browserSuite, expectFocus, newContext, screenshot, watch } from './kit.js';
import { keyedMembers, passphraseOf } from './keyed-members.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('drop boxes in the browser', async () => {
  const org = await testOrg();
  const suite = await browserSuite({ env: { VALISE_ORG_PUBLIC_KEY: toBase64Url(org.publicKey) } });
  if (!suite) return;
  const { browser } = suite;

  /** axe on the page as it is, plus a screenshot named after it. */
  async function accessible(page: Page, name: string): Promise<void> {
    await screenshot(page, name);
    assert.deepEqual(await axeViolations(page), [], `axe-core on ${name}`);
  }

  const members = keyedMembers(() => suite.web, org);
  const keyedMember = () => members.next();

  /** The owner opens a deposit with the client engine (in Node): each file's name and bytes. */
  async function openAsOwner(api: ValiseApi, account: UnlockedAccount, transferId: string) {
    const opened = await openDepositTransfer(api, suite!.web.url, account.keys, transferId);
    const received = new Map<string, Buffer>();
    await downloadTransfer(opened, {
      createSink: (file): FileSink => {
        const chunks: Uint8Array[] = [];
        return {
          write: async (bytes) => void chunks.push(bytes.slice()),
          commit: async () => void received.set(file.name, Buffer.concat(chunks)),
          abort: async () => undefined,
        };
      },
    });
    return { opened, received };
  }

  /** The depositor's first steps in the page: name, address, the code from the outbox. */
  async function verifyInPage(page: Page, email: string): Promise<void> {
    await page.getByLabel('Your name').fill('Laboratoire Durand');
    await page.getByLabel('Your e-mail address').fill(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByLabel('Code from the e-mail').fill(await suite!.web.outbox.nextCode(email));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 2, name: 'Files to deposit' }).waitFor();
  }

  it('an outside lab deposits two files from the link; the owner opens them byte-identical', { timeout: 180_000 }, async () => {
    const { api, account } = await keyedMember();
    const { box, link } = await createBox(api, account.keys, {
      name: 'Virologie — résultats', expiresInSeconds: 3 * 86_400, maxDeposits: 5, maxDepositBytes: 50 * MiB, allowedDomains: ['lab.example'], dataClass: 'health',
    });
    assert.match(link, new RegExp(`^${suite.web.url}/d/${box.boxId}#[A-Za-z0-9_-]{43}$`, 'u'));
    const fragment = link.split('#')[1]!;
    const csv = Buffer.from('échantillon;résultat\nLAB-0042;négatif\n', 'utf8');
    const scan = randomBytes(9 * MiB); // more than one part
    await writeFile(join(suite.dir, 'résultats.csv'), csv);
    await writeFile(join(suite.dir, 'scan.bin'), scan);

    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    const seen = watch(context);
    const page = await context.newPage();
    await page.goto(link);
    // The name shown is the one signed by the key in the link, with the box's limits and whom it accepts.
    await page.getByRole('heading', { level: 2, name: 'Virologie — résultats' }).waitFor();
    const facts = await page.locator('.box-card .facts').innerText();
    assert.match(facts, /Largest deposit\s+50 MB in all, up to [\d,]+ files/u);
    assert.match(facts, /Accepts addresses of\s+lab\.example/u);
    assert.equal(await page.getByRole('link', { name: 'Sign in' }).count(), 0, 'a depositor is not asked to sign in');
    await accessible(page, 'deposit-identify');

    await page.getByLabel('Your name').fill('Laboratoire Durand');
    await page.getByLabel('Your e-mail address').fill('tech@lab.example');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    const code = await suite.web.outbox.nextCode('tech@lab.example');
    await page.getByLabel('Code from the e-mail').waitFor();
    await accessible(page, 'deposit-code');
    await page.getByLabel('Code from the e-mail').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 2, name: 'Files to deposit' }).waitFor();
    await expectFocus(page, 'h2, h1', 'focus moves to the new step', 'Files to deposit');
    await page.getByRole('button', { name: /^Encrypt and deposit/u }).click();
    await page.getByText('Choose at least one file.').waitFor();
    await accessible(page, 'deposit-files-error');
    await page.locator('input[type=file]').setInputFiles([join(suite.dir, 'résultats.csv'), join(suite.dir, 'scan.bin')]);
    await page.getByText('scan.bin').waitFor();
    await page.getByRole('button', { name: /^Encrypt and deposit/u }).click();
    await page.getByRole('heading', { level: 2, name: 'Files delivered' }).waitFor({ timeout: 120_000 });
    await accessible(page, 'deposit-receipt');

    // The receipt: what was delivered, when, to which box, and that the depositor cannot read it back.
    const receipt = await page.locator('.receipt .facts').innerText();
    const transferId = /Deposit number\s+([A-Za-z0-9_-]{22})/u.exec(receipt)?.[1];
    assert.ok(transferId, `a deposit number in ${receipt}`);
    assert.match(receipt, /Drop box\s+Virologie — résultats/u);
    assert.match(receipt, /From\s+tech@lab\.example/u);
    assert.match(receipt, /Files\s+2 files, 9 MB/u);
    assert.match(await page.locator('.receipt .statement').innerText(), /You cannot open or download them again/u);
    assert.deepEqual(await page.locator('.receipt .file-name').allInnerTexts(), ['résultats.csv', 'scan.bin']);

    // The owner opens it with the box keys, in Node: the same bytes, from the address the server verified.
    const { opened, received } = await openAsOwner(api, account, transferId);
    assert.deepEqual(opened.depositor, { email: 'tech@lab.example', name: 'Laboratoire Durand' });
    assert.equal(opened.boxId, box.boxId);
    assert.equal(sha256(received.get('résultats.csv')!), sha256(csv));
    assert.equal(sha256(received.get('scan.bin')!), sha256(scan));
    const listed = await api.listBoxes();
    assert.equal(listed.boxes.find((b) => b.boxId === box.boxId)?.depositsUsed, 1);

    // Only the Valise server was contacted, and the box key in the fragment was never part of a request.
    for (const url of seen.requests) {
      assert.ok(url.startsWith(`${suite.web.url}/`) || url.startsWith('blob:'), `only the Valise server is contacted (${url})`);
      assert.ok(!url.includes('#') && !url.includes(fragment), `no request carries the fragment (${url})`);
    }
    assert.deepEqual(seen.errors, []);
  });

  it('a link whose key is not the box\'s, a damaged or cut link, and a name changed on the server are refused before anything is sent', { timeout: 120_000 }, async () => {
    const { api, account } = await keyedMember();
    const { box, link } = await createBox(api, account.keys, {
      name: 'Microbiologie', expiresInSeconds: 86_400, maxDeposits: 3, maxDepositBytes: MiB, allowedDomains: [],
    });
    const other = await createDropBox('Microbiologie');
    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    const seen = watch(context);
    const page = await context.newPage();

    // Another (valid) box key in the fragment: the box the server serves is not signed by it.
    await page.goto(`${link.split('#')[0]}#${toBase64Url(other.identity.publicKey)}`);
    await page.getByRole('heading', { level: 2, name: 'This drop box does not match its link' }).waitFor();
    assert.equal(await page.getByLabel('Your e-mail address').count(), 0, 'no address is asked');
    assert.equal(await page.locator('.box-name').count(), 0, 'no name is shown');
    await accessible(page, 'deposit-refused-key');

    // A damaged key, and none at all: nothing is even fetched.
    const before = seen.requests.length;
    await page.goto(`${link.split('#')[0]}#${link.split('#')[1]!.slice(0, 30)}`);
    await page.getByRole('heading', { level: 2, name: 'This link is damaged' }).waitFor();
    await page.goto(link.split('#')[0]!);
    await page.getByRole('heading', { level: 2, name: 'This link is incomplete' }).waitFor();
    assert.ok(!seen.requests.slice(before).some((u) => u.includes('/api/v1/boxes/')), 'a damaged link asks the server nothing about the box');

    // The right link while the server serves a record whose signed name was changed: refused.
    const db = suite.web.server.ctx.database.db;
    const stored = await db.selectFrom('drop_box_keys').select(['record']).where('box_id', '=', box.boxId).executeTakeFirstOrThrow();
    await db.updateTable('drop_box_keys').set({ record: stored.record.replace('"name":"Microbiologie"', '"name":"Microbiologie (new address)"') })
      .where('box_id', '=', box.boxId).execute();
    await page.goto(link);
    await page.getByRole('heading', { level: 2, name: 'This drop box does not match its link' }).waitFor();
    assert.equal(await page.getByText('Microbiologie (new address)').count(), 0, 'the altered name is never shown');
    await db.updateTable('drop_box_keys').set({ record: stored.record }).where('box_id', '=', box.boxId).execute();
    await page.reload();
    await page.getByRole('heading', { level: 2, name: 'Microbiologie' }).waitFor();

    // Once its owner closes it, the link says so before any code is asked.
    await api.closeBox(box.boxId);
    await page.reload();
    await page.getByRole('heading', { level: 2, name: 'This drop box is closed' }).waitFor();
    assert.equal(await page.getByLabel('Your e-mail address').count(), 0);
    await accessible(page, 'deposit-closed');
    const fr = await (await newContext(browser, 'fr-FR')).newPage();
    await fr.goto(link);
    await fr.getByRole('heading', { level: 2, name: 'Cette boîte de dépôt est fermée' }).waitFor();
  });

  it('an address outside the allowed domains and a wrong code are refused in words; the right code then opens the way', { timeout: 120_000 }, async () => {
    const { api, account } = await keyedMember();
    const { link } = await createBox(api, account.keys, {
      name: 'Anatomopathologie', expiresInSeconds: 86_400, maxDeposits: 3, maxDepositBytes: MiB, allowedDomains: ['lab.example'],
    });
    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByLabel('Your name').fill('Someone');
    await page.getByLabel('Your e-mail address').fill('someone@other.example');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    const refusal = page.getByText('This drop box only accepts files from addresses of certain organisations. Use your work address.');
    await refusal.waitFor();
    // The refusal is the address field's own error, tied to it.
    const field = page.getByLabel('Your e-mail address');
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    const described = (await field.getAttribute('aria-describedby'))!.split(' ');
    assert.ok(described.includes((await refusal.getAttribute('id'))!));
    assert.ok(!(await suite.web.outbox.messages()).some((m) => m.to === 'someone@other.example'), 'no code is mailed');
    await accessible(page, 'deposit-domain-refused');

    await page.getByLabel('Your e-mail address').fill('ana@eu.lab.example');
    await page.getByRole('button', { name: 'Send me a code' }).click();
    const code = await suite.web.outbox.nextCode('ana@eu.lab.example');
    await page.getByLabel('Code from the e-mail').fill(code === '00000000' ? '11111111' : '00000000');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is not right.' }).waitFor();
    await accessible(page, 'deposit-code-wrong');
    await page.getByLabel('Code from the e-mail').fill('1234');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('Type the 8 digits of the code.').waitFor();
    await page.getByLabel('Code from the e-mail').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 2, name: 'Files to deposit' }).waitFor();

    // Too large for the box: said before anything is uploaded.
    await writeFile(join(suite.dir, 'big.bin'), randomBytes(MiB + 1));
    await page.locator('input[type=file]').setInputFiles(join(suite.dir, 'big.bin'));
    await page.getByRole('button', { name: /^Encrypt and deposit/u }).click();
    await page.getByText(/this drop box accepts at most 1 MB per deposit/u).waitFor();
  });

  it('a deposit can be cancelled mid-upload; after confirming the address again, another one goes through', { timeout: 180_000 }, async () => {
    const { api, account } = await keyedMember();
    const { box, link } = await createBox(api, account.keys, {
      name: 'Imagerie', expiresInSeconds: 86_400, maxDeposits: 5, maxDepositBytes: 200 * MiB, allowedDomains: [],
    });
    await writeFile(join(suite.dir, 'irm.bin'), randomBytes(96 * MiB));
    await writeFile(join(suite.dir, 'lettre.txt'), 'Cher confrère,\n');
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(link);
    await verifyInPage(page, 'radio@clinic.example');
    await page.locator('input[type=file]').setInputFiles(join(suite.dir, 'irm.bin'));
    await page.getByRole('button', { name: /^Encrypt and deposit/u }).click();
    await page.getByRole('progressbar', { name: 'All files' }).waitFor();
    // Cancelled once the deposit exists on the server and a part has arrived.
    const db = suite.web.server.ctx.database.db;
    for (let arrived = 0; arrived === 0; await new Promise((r) => setTimeout(r, 50))) {
      arrived = (await db.selectFrom('parts').innerJoin('transfers', 'transfers.id', 'parts.transfer_id').select('parts.idx')
        .where('transfers.box_id', '=', box.boxId).execute()).length;
    }
    await page.getByRole('button', { name: 'Cancel sending' }).click();
    await page.getByText('Sending was cancelled: nothing was delivered. To send files, confirm your address again.').waitFor();
    // The stopped deposit is given up on the server at once (its place in the box comes back at the next purge).
    const stopped = await db.selectFrom('transfers').select(['state', 'close_reason'])
      .where('box_id', '=', box.boxId).execute();
    assert.deepEqual(stopped, [{ state: 'closed', close_reason: 'abandoned' }]);
    // The address must be confirmed again (one code, one deposit); the files chosen are kept.
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByLabel('Code from the e-mail').fill(await suite.web.outbox.nextCode('radio@clinic.example'));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Remove irm.bin' }).click();
    await page.locator('input[type=file]').setInputFiles(join(suite.dir, 'lettre.txt'));
    await page.getByRole('button', { name: /^Encrypt and deposit/u }).click();
    await page.getByRole('heading', { level: 2, name: 'Files delivered' }).waitFor({ timeout: 60_000 });
    const transferId = /Deposit number\s+([A-Za-z0-9_-]{22})/u.exec(await page.locator('.receipt .facts').innerText())![1]!;
    const { received } = await openAsOwner(api, account, transferId);
    assert.deepEqual([...received.keys()], ['lettre.txt']);
  });

  it('a member unlocks their keys in the page, creates a box, and its link takes a deposit', { timeout: 180_000 }, async () => {
    const { member, api, account } = await keyedMember();
    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.web.url });
    const seen = watch(context);
    const page = await context.newPage();
    await suite.web.signIn(page, member);
    await page.getByRole('link', { name: 'Drop boxes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Drop boxes' }).waitFor();
    await page.getByText('You have no drop box yet.').waitFor();
    await accessible(page, 'boxes-empty');

    await page.getByRole('button', { name: 'Create a drop box' }).click();
    await page.getByText(/unlock your keys to create one/u).waitFor();
    await accessible(page, 'boxes-unlock');
    await page.getByLabel(/passphrase/iu).first().fill(passphraseOf(member.email));
    await page.getByLabel(/passphrase/iu).first().press('Enter');
    await page.getByLabel('Name', { exact: true }).waitFor({ timeout: 60_000 });
    await accessible(page, 'boxes-create');

    // The form's own checks, in words tied to their fields.
    await page.getByLabel('Accepted e-mail domains').fill('lab.example, not a domain');
    await page.getByRole('button', { name: 'Create the drop box' }).click();
    await page.getByText('Give a name of 1 to 200 characters.').waitFor();
    await page.getByText('These are not domain names: not, a, domain').waitFor();
    await accessible(page, 'boxes-create-errors');

    await page.getByLabel('Name', { exact: true }).fill('Hématologie — résultats externes');
    await page.getByLabel('Data class').selectOption('health');
    await page.getByLabel('Deposits accepted').fill('4');
    await page.getByLabel('Largest deposit').fill('20');
    await page.getByLabel('Unit').selectOption('MB');
    await page.getByLabel('Accepted e-mail domains').fill('@Lab.example biolab.example');
    await page.getByRole('button', { name: 'Create the drop box' }).click();
    await page.getByRole('heading', { level: 1, name: 'Drop box created' }).waitFor({ timeout: 60_000 });
    await expectFocus(page, 'h1', 'focus moves to the result');
    const link = await page.getByLabel('Link to give the depositors').inputValue();
    assert.match(link, new RegExp(`^${suite.web.url}/d/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{43}$`, 'u'));
    const statement = await page.locator('.statement').innerText();
    assert.match(statement, /at most 20 MB per deposit, from lab\.example, biolab\.example\. It accepts 4 deposits\. Data class: Health data\./u);
    await page.getByRole('button', { name: 'Copy the link' }).click();
    await page.getByText('Link copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
    await accessible(page, 'boxes-created');

    // The link works: a depositor (the client engine, as the CLI would) checks it and deposits.
    const opened = await openBox(link);
    assert.equal(opened.key.record.name, 'Hématologie — résultats externes');
    assert.deepEqual(opened.policy.allowedDomains, ['lab.example', 'biolab.example']);
    assert.equal(opened.policy.maxDepositBytes, 20 * MiB);
    const token = await verifyDepositor(opened, { email: 'bio@biolab.example', name: 'Biolab', askCode: () => suite.web.outbox.nextCode('bio@biolab.example') });
    const bytes = randomBytes(100_000);
    const receipt = await depositFiles(opened, token, {
      files: [{ name: 'numération.pdf', type: 'application/pdf', size: bytes.length, readRange: async (a, b) => bytes.subarray(a, b) }],
    });
    const { received } = await openAsOwner(api, account, receipt.transferId);
    assert.equal(sha256(received.get('numération.pdf')!), sha256(bytes));

    // The list: name, deposits, state; closing asks first, then the box says closed.
    await page.getByRole('button', { name: 'Back to my drop boxes' }).click();
    const item = page.locator('li.box', { hasText: 'Hématologie — résultats externes' });
    await item.getByText('1 of 4').waitFor();
    assert.match(await item.locator('.facts').innerText(), /State\s+accepting files/u);
    await accessible(page, 'boxes-list');
    await item.getByRole('button', { name: 'Close Hématologie — résultats externes' }).click();
    await page.getByRole('dialog', { name: 'Close this drop box?' }).waitFor();
    await accessible(page, 'boxes-close-dialog');
    await page.getByRole('button', { name: 'Close now' }).click();
    await item.locator('.state', { hasText: 'closed' }).waitFor();
    await page.getByText('“Hématologie — résultats externes” is closed: it accepts no more files.').waitFor();
    assert.equal(await item.getByRole('button', { name: /^Close/u }).count(), 0);
    const [summary] = (await api.listBoxes()).boxes;
    assert.equal(summary?.state, 'closed');
    assert.deepEqual(seen.errors, []);
  });
});
