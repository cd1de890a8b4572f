// Member keys in a real Chromium against the real server (docs/format.md §11–§12): a member sets up keys in the page
// (the key-loss warning first, the recovery code shown once), unlocks them with the passphrase, the recovery code or
// a passkey (DevTools virtual authenticator with PRF), changes the passphrase and replaces the recovery code; two
// members exchange files with no link (sent from the web, opened from the web inbox, the sender's signature
// verified); a colleague whose key changed is a loud warning and a refusal until accepted; safety numbers match on
// both sides. axe-core checks every new page.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type UnlockedAccount, ValiseApi, createMemberKeys, safetyNumberWith, unlockMemberKeys } from '@valise/client';
import {
  certifyMemberKey, fingerprintText, fromBase64Url, generateMemberKeys, memberKeyFingerprint, parseMemberKeyRecord,
  serializeMemberKeyRecord, toBase64Url,
} from '@valise/crypto';
import { type TestOrg, testOrg } from '@valise/crypto/testing';
import type { Download, Page } from 'playwright-core';
import { type BrowserSuite, type WebMember, axeViolations, browserSuite, expectFocus, newContext, screenshot, watch } from './kit.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const passphraseOf = (email: string) => `${email} key passphrase`;

/** axe on the page as it is, and a screenshot named after it. */
async function accessible(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  assert.deepEqual(await axeViolations(page), [], `axe-core on ${name}`);
}

/** The organisation's side of the tests: an administrator who certifies members' keys with the test organisation key. */
function organisation(suite: BrowserSuite, org: TestOrg) {
  let admin: ValiseApi | undefined;
  const adminApi = async () => (admin ??= await suite.web.apiFor(await suite.web.member(undefined, { admin: true })));
  return {
    /** Certifies the member's current key record, as `valise admin sign-members` does. */
    async certify(memberId: string): Promise<void> {
      const api = await adminApi();
      const { keys } = await api.listMemberKeysForAdmin({ status: 'pending' });
      const pending = keys.find((k) => k.memberId === memberId);
      assert.ok(pending, 'the key waits for the organisation');
      const certificate = await certifyMemberKey(org.key, parseMemberKeyRecord(pending.record));
      await api.certifyMemberKey(memberId, { fingerprint: pending.fingerprint, certificate: toBase64Url(certificate) });
    },
    /** A member whose keys were made with the client engine (their passphrase: passphraseOf) and certified. */
    async keyedMember(): Promise<{ member: WebMember; api: ValiseApi; memberId: string; account: UnlockedAccount }> {
      const member = await suite.web.member();
      const api = await suite.web.apiFor(member);
      const who = await api.me();
      const me = { memberId: who.id, email: who.email };
      await createMemberKeys(api, me, passphraseOf(member.email));
      await this.certify(who.id);
      const account = await unlockMemberKeys(api, me, { kind: 'passphrase', passphrase: passphraseOf(member.email) }, org.publicKey);
      assert.ok(account.certified);
      return { member, api, memberId: who.id, account };
    },
  };
}

/** Signs in and goes to a page through the navigation. */
async function signInTo(suite: BrowserSuite, page: Page, member: WebMember, link: 'My keys' | 'Inbox' | 'Send files'): Promise<void> {
  await suite.web.signIn(page, member);
  await page.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: link === 'Send files' ? 'Send files' : link }).waitFor();
}

async function unlockInPage(page: Page, passphrase: string): Promise<void> {
  await page.getByLabel('Key passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
}

describe('member keys, inbox and member transfers in the browser', async () => {
  const org = await testOrg();
  const suite = await browserSuite({ env: { VALISE_ORG_PUBLIC_KEY: toBase64Url(org.publicKey) } });
  if (!suite) return;
  const { browser } = suite;
  const orgSide = organisation(suite, org);

  it('sets up keys after the key-loss warning, shows the recovery code once, unlocks, changes the passphrase and the code', { timeout: 120_000 }, async () => {
    const member = await suite.web.member();
    const api = await suite.web.apiFor(member);
    const who = await api.me();
    const me = { memberId: who.id, email: who.email };
    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    const seen = watch(context);
    const page = await context.newPage();
    await signInTo(suite, page, member, 'My keys');

    // The warning comes before anything can be made.
    const warning = page.getByRole('note');
    await warning.getByRole('heading', { name: /if you lose every way to unlock, you lose what was sent to you/u }).waitFor();
    assert.match(await warning.innerText(), /If you lose all of them, nobody — not even your administrators — can open what was sent to you\./u);
    await accessible(page, 'keys-setup');
    // Too short, and the warning not acknowledged: described errors, focus on the first.
    await page.getByLabel('Key passphrase', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create my keys' }).click();
    await page.getByText('Use at least 12 characters.').waitFor();
    await expectFocus(page, '[aria-invalid="true"]', 'focus on the first field in error');
    assert.match(await page.getByLabel('Key passphrase', { exact: true }).getAttribute('aria-describedby') ?? '', /error/u);
    const passphrase = 'seven horses across the frozen lake';
    await page.getByLabel('Key passphrase', { exact: true }).fill(passphrase);
    await page.getByLabel('The same key passphrase again').fill(`${passphrase}!`);
    await page.getByLabel(/^I understand that if I lose/u).check();
    await page.getByRole('button', { name: 'Create my keys' }).click();
    await page.getByText('The two passphrases differ.').waitFor();
    await page.getByLabel('The same key passphrase again').fill(passphrase);
    await page.getByRole('button', { name: 'Create my keys' }).click();

    // The recovery code, once, with its confirmation; focus on its heading.
    await page.getByRole('heading', { name: 'Your recovery code' }).waitFor({ timeout: 30_000 });
    await expectFocus(page, '*', 'focus on the recovery code\'s heading', 'Your recovery code');
    const code = (await page.locator('.recovery-code code').innerText()).trim();
    assert.match(code, /^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/u);
    await accessible(page, 'keys-recovery-code');
    assert.equal(await page.getByRole('button', { name: 'Continue' }).isDisabled(), true, 'not before the person says they stored it');
    await page.getByLabel('I have stored my recovery code in a safe place').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('Waiting for your organisation’s signature').waitFor();
    assert.ok(!(await page.content()).includes(code), 'the recovery code is gone from the page');
    // What the page made is real: the server holds the record, and both the passphrase and the code open the keys.
    const stored = await api.getMyKeys();
    assert.deepEqual(stored.wraps.map((w) => w.kind).sort(), ['passphrase', 'recovery']);
    assert.ok(!JSON.stringify(stored).includes(code.replaceAll('-', '')), 'the server never sees the code');
    assert.equal(await page.locator('.fingerprint').first().innerText(), fingerprintText(fromBase64Url(stored.fingerprint)));
    await unlockMemberKeys(api, me, { kind: 'recovery', code }, org.publicKey);
    await unlockMemberKeys(api, me, { kind: 'passphrase', passphrase }, org.publicKey);
    await page.getByText('Your keys are unlocked in this tab.').waitFor(); // unlocked right after set-up

    // Certified by the organisation; a reload forgets the unlocked keys (memory of the page only).
    await orgSide.certify(who.id);
    await page.reload();
    await page.getByText('Certified by your organisation').waitFor();
    await page.getByRole('heading', { name: 'Unlock your keys' }).waitFor();
    // Argon2id runs in a worker of its own per unlock (the page keeps answering), ended once done.
    const argon2Workers: string[] = [];
    page.on('worker', (worker) => void (worker.url().includes('argon2.worker') && argon2Workers.push(worker.url())));
    await unlockInPage(page, 'not my passphrase at all');
    await page.getByText('This passphrase does not open your keys.').waitFor({ timeout: 20_000 });
    await unlockInPage(page, passphrase);
    await page.getByText('Your keys are unlocked in this tab.').waitFor({ timeout: 20_000 });
    assert.equal(argon2Workers.length, 2, 'one Argon2id worker per attempt');
    assert.ok(argon2Workers.every((url) => url.startsWith(`${suite.web.url}/`)), 'from this origin');
    await accessible(page, 'keys-unlocked');

    // Change the passphrase: the old one stops working, the new one opens the same keys.
    const newPassphrase = 'a brand new passphrase for my keys';
    await page.getByLabel('New key passphrase', { exact: true }).fill(newPassphrase);
    await page.getByLabel('The same new passphrase again').fill(newPassphrase);
    await page.getByRole('button', { name: 'Change the passphrase' }).click();
    await page.getByText('Passphrase changed.').waitFor({ timeout: 20_000 });
    await assert.rejects(unlockMemberKeys(api, me, { kind: 'passphrase', passphrase }, org.publicKey), { code: 'commitment_mismatch' });
    const reopened = await unlockMemberKeys(api, me, { kind: 'passphrase', passphrase: newPassphrase }, org.publicKey);
    assert.equal(toBase64Url(reopened.keys.fingerprint), stored.fingerprint, 'the same keys');

    // Lock, then unlock with the recovery code.
    await page.getByRole('button', { name: 'Lock my keys' }).click();
    await page.getByRole('button', { name: /Use your recovery code/u }).click();
    await page.getByLabel('Recovery code').fill(code.toLowerCase());
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByText('Your keys are unlocked in this tab.').waitFor({ timeout: 20_000 });

    // A new recovery code, shown once; the old one stops working.
    await page.getByRole('button', { name: 'Make a new recovery code' }).click();
    await page.getByRole('button', { name: 'Yes, replace my recovery code' }).click();
    await page.getByRole('heading', { name: 'Your recovery code' }).waitFor();
    const newCode = (await page.locator('.recovery-code code').innerText()).trim();
    assert.notEqual(newCode, code);
    await page.getByLabel('I have stored my recovery code in a safe place').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('Certified by your organisation').waitFor();
    await assert.rejects(unlockMemberKeys(api, me, { kind: 'recovery', code }, org.publicKey), { code: 'commitment_mismatch' });
    await unlockMemberKeys(api, me, { kind: 'recovery', code: newCode }, org.publicKey);

    assert.deepEqual(seen.errors, []);
    await context.close();
  });

  it('two members exchange files with no link: sent from the web, opened from the web inbox, the sender verified', { timeout: 120_000 }, async () => {
    const alice = await orgSide.keyedMember();
    const bob = await orgSide.keyedMember();
    const report = Buffer.concat([Buffer.from('Résultats — patient 0042\n', 'utf8'), randomBytes(3 * 1024 * 1024)]);
    await writeFile(join(suite.dir, 'résultats-0042.bin'), report);

    // Alice sends to bob (a member: his inbox) and to an outside lab (a link), in one transfer.
    const sender = await newContext(browser, 'en-GB', { bypassCSP: true });
    const sent = watch(sender);
    const page = await sender.newPage();
    await signInTo(suite, page, alice.member, 'Send files');
    await page.setInputFiles('#file-input', join(suite.dir, 'résultats-0042.bin'));
    await page.getByLabel('Recipients').fill(`${bob.member.email}, lab@outside.example`);
    await page.getByLabel('Message (optional)').fill('Pour ton avis.');
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    await page.getByText(`${bob.member.email} will receive these files in their Valise inbox, with no link.`).waitFor();
    await accessible(page, 'send-unlock');
    await unlockInPage(page, passphraseOf(alice.member.email));
    await page.getByRole('heading', { level: 1, name: 'Sent' }).waitFor({ timeout: 60_000 });
    await page.getByText(`In their Valise inbox, no link needed: ${bob.member.email}.`).waitFor();
    await page.getByText('Give the link to: lab@outside.example.').waitFor();
    const link = await page.getByLabel('Link to give the recipients').inputValue();
    await accessible(page, 'send-members-sent');

    // A transfer only to members has no link at all.
    await page.getByRole('button', { name: 'Send other files' }).click();
    await page.setInputFiles('#file-input', join(suite.dir, 'résultats-0042.bin'));
    await page.getByLabel('Recipients').fill(bob.member.email);
    await page.getByRole('button', { name: /^Encrypt and send/u }).click(); // keys still unlocked in this tab
    await page.getByRole('heading', { level: 1, name: 'Sent' }).waitFor({ timeout: 60_000 });
    await page.getByText(`In their Valise inbox, no link needed: ${bob.member.email}.`).waitFor();
    assert.equal(await page.getByLabel('Link to give the recipients').count(), 0, 'no link');

    // Bob opens the first one from his inbox, unlocks, sees alice's verified signature, and gets the same bytes.
    const recipient = await newContext(browser, 'en-GB', { bypassCSP: true });
    const received = watch(recipient);
    const inbox = await recipient.newPage();
    await signInTo(suite, inbox, bob.member, 'Inbox');
    const items = inbox.locator('li.transfer');
    await items.first().waitFor();
    assert.equal(await items.count(), 2);
    assert.match(await items.first().innerText(), new RegExp(`From\\s+${alice.member.email.replace(/[.]/gu, '\\.')}`, 'u'));
    await accessible(inbox, 'inbox-list');
    const transferId = link.split('/t/')[1]!.split('#')[0]!;
    const entry = (await bob.api.listInbox()).transfers.findIndex((x) => x.transferId === transferId);
    await items.nth(entry).getByRole('button', { name: /^Open/u }).click();
    await inbox.getByRole('heading', { name: 'Unlock your keys' }).waitFor();
    await unlockInPage(inbox, passphraseOf(bob.member.email));
    await inbox.getByText(`Sent and signed by ${alice.member.email}`).waitFor({ timeout: 30_000 });
    assert.equal(await inbox.locator('.verified-sender .fingerprint').innerText(), fingerprintText(alice.account.keys.fingerprint));
    await inbox.getByText('Pour ton avis.').first().waitFor();
    assert.deepEqual(await inbox.locator('.file-name').allInnerTexts(), ['résultats-0042.bin']);
    await accessible(inbox, 'inbox-opened');
    const downloads: Download[] = [];
    inbox.on('download', (d) => downloads.push(d));
    await inbox.getByRole('button', { name: 'Download in the browser' }).click();
    await inbox.getByText(/All files were verified and decrypted/u).waitFor({ timeout: 60_000 });
    assert.equal(downloads.length, 1);
    assert.equal(downloads[0]!.suggestedFilename(), 'résultats-0042.bin');
    assert.equal(sha256(await readFile(await downloads[0]!.path())), sha256(report), 'byte-identical');
    assert.ok((await bob.api.listInbox()).transfers.find((x) => x.transferId === transferId)?.downloadedAt, 'the download is recorded');

    // The outside lab opens the same transfer with the link and its code.
    const outside = await newContext(browser);
    const lab = await outside.newPage();
    await suite.web.openAsRecipient(lab, link, 'lab@outside.example');
    await lab.getByText('Pour ton avis.').first().waitFor();

    for (const url of [...sent.requests, ...received.requests]) {
      assert.ok(url.startsWith(`${suite.web.url}/`) || url.startsWith('blob:'), `only the Valise server is contacted (${url})`);
    }
    assert.deepEqual([...sent.errors, ...received.errors], []);
    await Promise.all([sender.close(), recipient.close(), outside.close()]);
  });

  it('a colleague whose key changed is a loud warning and a refusal until accepted; safety numbers match', { timeout: 120_000 }, async () => {
    const alice = await orgSide.keyedMember();
    const bob = await orgSide.keyedMember();
    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    const page = await context.newPage();
    await signInTo(suite, page, alice.member, 'My keys');
    await unlockInPage(page, passphraseOf(alice.member.email));
    await page.getByText('Your keys are unlocked in this tab.').waitFor({ timeout: 20_000 });

    // Safety number: 60 digits in 12 groups, the same as bob's side computes.
    await page.getByLabel('Colleague’s e-mail address').fill(bob.member.email);
    await page.getByRole('button', { name: 'Show the safety number' }).click();
    await page.getByRole('heading', { name: `Safety number with ${bob.member.email}` }).waitFor();
    const groups = await page.locator('.safety-number span').allInnerTexts();
    assert.equal(groups.length, 12);
    assert.ok(groups.every((g) => /^\d{5}$/u.test(g)));
    const bobSees = await safetyNumberWith(bob.account.keys.fingerprint, { record: alice.account.keys.record, fingerprint: alice.account.keys.fingerprint });
    assert.equal(groups.join(' '), bobSees);
    await accessible(page, 'keys-safety-number');

    // Bob gets new keys, signed by the organisation (as after a lost passphrase): alice's browser pinned the old one.
    const before = fingerprintText(bob.account.keys.fingerprint);
    const fresh = await generateMemberKeys(bob.memberId, bob.member.email);
    const db = suite.web.server.ctx.database.db;
    await db.updateTable('member_keys').set({
      record: new TextDecoder().decode(serializeMemberKeyRecord(fresh.record)),
      fingerprint: Buffer.from(await memberKeyFingerprint(fresh.record)),
      certificate: Buffer.from(await certifyMemberKey(org.key, fresh.record)),
    }).where('user_id', '=', bob.memberId).execute();
    const after = fingerprintText(await memberKeyFingerprint(fresh.record));

    // Sending to bob: refused with the warning, nothing created on the server.
    const transfersBefore = (await alice.api.listTransfers()).transfers.length;
    await writeFile(join(suite.dir, 'note.txt'), 'confidentiel\n');
    await page.getByRole('navigation').getByRole('link', { name: 'Send files' }).click();
    await page.setInputFiles('#file-input', join(suite.dir, 'note.txt'));
    await page.getByLabel('Recipients').fill(bob.member.email);
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    const warning = page.getByRole('alert').filter({ hasText: 'has changed' });
    await warning.getByRole('heading', { name: `Warning: the key of ${bob.member.email} has changed` }).waitFor();
    const text = await warning.innerText();
    assert.ok(text.includes(before) && text.includes(after), 'both fingerprints shown');
    assert.match(text, /Nothing was sent or opened\./u);
    await accessible(page, 'send-key-changed');
    assert.equal((await alice.api.listTransfers()).transfers.length, transfersBefore, 'nothing was sent');
    // Going back and trying again: still refused.
    await page.getByRole('button', { name: 'Back to the form' }).click();
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    await warning.waitFor();
    assert.equal((await alice.api.listTransfers()).transfers.length, transfersBefore, 'still nothing sent');
    // The keys page shows the same warning instead of a number.
    await page.getByRole('navigation').getByRole('link', { name: 'My keys' }).click();
    await page.getByLabel('Colleague’s e-mail address').fill(bob.member.email);
    await page.getByRole('button', { name: 'Show the safety number' }).click();
    await page.getByRole('heading', { name: `Warning: the key of ${bob.member.email} has changed` }).waitFor();
    assert.equal(await page.locator('.safety-number').count(), 0);

    // After checking with bob, alice accepts: the transfer goes to bob's new key.
    await page.getByRole('navigation').getByRole('link', { name: 'Send files' }).click();
    await page.setInputFiles('#file-input', join(suite.dir, 'note.txt'));
    await page.getByLabel('Recipients').fill(bob.member.email);
    await page.getByRole('button', { name: /^Encrypt and send/u }).click();
    await page.getByRole('button', { name: 'I checked with them: trust the new key and send' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sent' }).waitFor({ timeout: 60_000 });
    const detail = (await alice.api.listTransfers()).transfers;
    assert.equal(detail.length, transfersBefore + 1);
    await context.close();
  });
});

/** A port that was free a moment ago: the passkey suite's server listens there, named http://localhost:<port>. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// WebAuthn needs a domain (an IP address cannot be a relying party): this server is reached as localhost.
describe('passkeys unlock member keys in the browser (virtual authenticator with PRF)', async () => {
  const org = await testOrg();
  const port = await freePort();
  const suite = await browserSuite({
    env: { VALISE_ORG_PUBLIC_KEY: toBase64Url(org.publicKey), VALISE_PORT: String(port), VALISE_PUBLIC_URL: `http://localhost:${port}` },
  });
  if (!suite) return;
  const { browser } = suite;
  const orgSide = organisation(suite, org);

  it('adds a passkey with PRF, unlocks with it, and explains an authenticator without PRF', { timeout: 120_000 }, async () => {
    const alice = await orgSide.keyedMember();
    const context = await newContext(browser, 'en-GB', { bypassCSP: true });
    const seen = watch(context);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const authenticator = (options: { hasPrf: boolean }) => cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, ...options },
    });

    await signInTo(suite, page, alice.member, 'My keys');
    await unlockInPage(page, passphraseOf(alice.member.email));
    await page.getByText('Your keys are unlocked in this tab.').waitFor({ timeout: 20_000 });

    // An authenticator without PRF: explained, nothing added.
    const noPrf = await authenticator({ hasPrf: false });
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText(/does not support the PRF extension/u).waitFor({ timeout: 20_000 });
    assert.deepEqual((await alice.api.getMyKeys()).wraps.filter((w) => w.kind === 'passkey'), []);
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: noPrf.authenticatorId });

    // With PRF: the passkey becomes an unlock method, bound to the credential the authenticator holds.
    const withPrf = await authenticator({ hasPrf: true });
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Passkey added: you can now unlock your keys with it.').waitFor({ timeout: 20_000 });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: withPrf.authenticatorId });
    assert.equal(credentials.length, 1);
    const wraps = (await alice.api.getMyKeys()).wraps.filter((w) => w.kind === 'passkey');
    assert.equal(wraps.length, 1);
    assert.equal(wraps[0]!.credentialId, Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url'));
    await page.getByText('1 passkey').waitFor();
    await accessible(page, 'keys-passkey-added');

    // Locked again (a new page load), then unlocked with the passkey alone.
    await page.reload();
    await page.getByRole('button', { name: 'Unlock with a passkey' }).click();
    await page.getByText('Your keys are unlocked in this tab.').waitFor({ timeout: 20_000 });
    assert.deepEqual(seen.errors, []);
    await context.close();
  });
});
