// The acceptance case of team drop boxes at full size, in a real Chromium against the real server: a depositor with
// no account delivers a 1 GiB file through the depositor page to a drop box a team of two owns; the first member opens
// the deposit from the web inbox (the browser's download, hashed from disk) and the second opens it in Node with the
// client engine; both get the bytes written, SHA-256 for SHA-256. The file is written to disk in 8 MiB blocks and
// handed to the page by path: 1 GiB is never held in memory by the test. The durations go to the log for CI.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { type FileSink, addTeamMember, createBox, createTeamAsMember, downloadTransfer, openDepositTransfer, openMyTeam } from '@valise/client';
import { certifyTeam, parseTeamRecord, toBase64Url } from '@valise/crypto';
import { testOrg } from '@valise/crypto/testing';
import type { Download, Page } from 'playwright-core';
import { browserSuite, newContext, screenshot, watch } from './kit.js';
import { keyedMembers, memoryPins, passphraseOf } from './keyed-members.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BLOCK = 8 * MiB;
const TEAM = 'Sequencing lab';
const BOX = 'Sequencing runs';
const FILE_NAME = 'sequencing-run.bin';
const DEPOSITOR = 'tech@lab.example';
const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** Writes `size` bytes in 8 MiB blocks, each different (random, its index in its first bytes), hashing them on the way. */
async function writeBigFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(async function* () {
    for (let at = 0, i = 0; at < size; at += BLOCK, i++) {
      const block = randomBytes(Math.min(BLOCK, size - at));
      block.writeUInt32BE(i, 0);
      hash.update(block);
      yield block;
    }
  }, createWriteStream(path));
  return hash.digest('hex');
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: BLOCK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('a 1 GiB deposit into a team’s drop box, in the browser', async () => {
  const org = await testOrg();
  const suite = await browserSuite({ env: { VALISE_ORG_PUBLIC_KEY: toBase64Url(org.publicKey) } });
  if (!suite) return;
  const { browser } = suite;

  const members = keyedMembers(() => suite.web, org);
  const keyedMember = () => members.next();

  it('a depositor without an account delivers 1 GiB to a team’s box; both members open it byte-identical (web inbox and client engine)',
    { timeout: 900_000 }, async (t) => {
      // The team: member 1 creates it, the organisation signs it, member 1 adds member 2; a box the team owns.
      const first = await keyedMember();
      const second = await keyedMember();
      const created = await createTeamAsMember(first.api, first.account.keys, TEAM);
      const pending = (await (await members.admin()).listTeamsForAdmin({ status: 'pending' })).teams.find((x) => x.name === TEAM);
      assert.ok(pending, 'the team waits for the organisation');
      assert.equal(pending.teamId, created.teamId);
      await (await members.admin()).certifyTeam(pending.teamId, {
        fingerprint: pending.fingerprint, certificate: toBase64Url(await certifyTeam(org.key, parseTeamRecord(pending.record))),
      });
      const teamId = pending.teamId;
      const withSecond = await addTeamMember(first.api, first.account.keys, org.publicKey, memoryPins(), teamId, second.member.email);
      assert.equal(withSecond.members.length, 2);
      const team = await openMyTeam(first.api, first.account.keys, org.publicKey, teamId);
      assert.ok(team.certified);
      const { box, link } = await createBox(first.api, first.account.keys, {
        name: BOX, expiresInSeconds: 86_400, maxDeposits: 3, maxDepositBytes: 2 * GiB, allowedDomains: ['lab.example'], dataClass: 'health', ownerTeam: team.keys,
      });
      assert.equal(box.ownerTeam?.teamId, teamId, 'the box belongs to the team');

      // 1 GiB on disk, hashed as it is written; removed after the test (with the browser's copy).
      const dir = await mkdtemp(join(tmpdir(), 'valise-1gib-'));
      const downloads: Download[] = [];
      t.after(async () => {
        for (const d of downloads) await d.delete().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      });
      const path = join(dir, FILE_NAME);
      const expected = await writeBigFile(path, GiB);
      assert.equal((await stat(path)).size, GiB);

      // The depositor, with no account: the link, their address confirmed with the code from the outbox, the file by path.
      const depositorContext = await newContext(browser);
      t.after(() => depositorContext.close());
      const depositorSeen = watch(depositorContext);
      const d = await depositorContext.newPage();
      await d.goto(link);
      await d.getByRole('heading', { level: 2, name: BOX }).waitFor();
      assert.equal(await d.getByRole('link', { name: 'Sign in' }).count(), 0, 'a depositor is not asked to sign in');
      await d.getByLabel('Your name').fill('Laboratoire Durand');
      await d.getByLabel('Your e-mail address').fill(DEPOSITOR);
      await d.getByRole('button', { name: 'Send me a code' }).click();
      await d.getByLabel('Code from the e-mail').fill(await suite.web.outbox.nextCode(DEPOSITOR));
      await d.getByRole('button', { name: 'Continue' }).click();
      await d.getByRole('heading', { level: 2, name: 'Files to deposit' }).waitFor();
      await d.locator('input[type=file]').setInputFiles(path);
      await d.getByText(FILE_NAME).waitFor();
      const depositStart = Date.now();
      await d.getByRole('button', { name: 'Encrypt and deposit (1 GB)' }).click();
      await d.getByRole('heading', { level: 2, name: 'Files delivered' }).waitFor({ timeout: 480_000 });
      const depositMs = Date.now() - depositStart;
      await screenshot(d, 'deposit-1gib-receipt');
      const receipt = await d.locator('.receipt .facts').innerText();
      const transferId = /Deposit number\s+([A-Za-z0-9_-]{22})/u.exec(receipt)?.[1];
      assert.ok(transferId, `a deposit number in ${receipt}`);
      assert.match(receipt, new RegExp(`Drop box\\s+${BOX}`, 'u'));
      assert.match(receipt, /From\s+tech@lab\.example/u);
      assert.match(receipt, /Files\s+1 file, 1 GB/u);
      assert.deepEqual(await d.locator('.receipt .file-name').allInnerTexts(), [FILE_NAME]);
      const stored = await suite.web.server.ctx.database.db.selectFrom('transfers').select(['id']).where('id', '=', transferId).executeTakeFirst();
      assert.ok(stored, 'the deposit is stored');
      assert.deepEqual(depositorSeen.errors, []);

      // Member 1 opens it from the web inbox: the team's box, the depositor unverified, the browser's download.
      const firstContext = await newContext(browser);
      t.after(() => firstContext.close());
      const firstSeen = watch(firstContext);
      const p: Page = await firstContext.newPage();
      p.on('download', (x) => void downloads.push(x));
      await suite.web.signIn(p, first.member);
      await p.getByRole('navigation').getByRole('link', { name: 'Inbox', exact: true }).click();
      await p.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
      const item = p.locator('li.transfer', { hasText: BOX });
      await item.waitFor();
      assert.match(await item.innerText(), new RegExp(`To the team\\s+${TEAM}`, 'u'));
      await item.getByRole('button', { name: /^Open/u }).click();
      await p.getByLabel('Key passphrase', { exact: true }).fill(passphraseOf(first.member.email));
      await p.getByRole('button', { name: 'Unlock', exact: true }).click();
      await p.getByRole('note', { name: 'Unverified depositor' }).waitFor({ timeout: 120_000 });
      const webStart = Date.now();
      await p.getByRole('button', { name: 'Download in the browser' }).click();
      await p.getByText(/All files were verified and decrypted/u).waitFor({ timeout: 480_000 });
      assert.equal(downloads.length, 1, 'one file downloaded');
      const download = downloads[0]!;
      assert.equal(download.suggestedFilename(), FILE_NAME);
      assert.equal(await download.failure(), null);
      const saved = await download.path();
      const webMs = Date.now() - webStart;
      assert.equal((await stat(saved)).size, GiB);
      assert.equal(await sha256OfFile(saved), expected, 'member 1 (web inbox): byte-identical');
      await screenshot(p, 'inbox-1gib-downloaded');
      assert.deepEqual(firstSeen.errors, []);
      await download.delete();

      // Member 2 opens it in Node with the client engine and the team's keys; the bytes are hashed as they arrive.
      const nodeStart = Date.now();
      const opened = await openDepositTransfer(second.api, suite.web.url, second.account.keys, transferId, { orgPublicKey: org.publicKey });
      assert.equal(opened.boxId, box.boxId);
      assert.deepEqual(opened.depositor, { email: DEPOSITOR, name: 'Laboratoire Durand' });
      const received = new Map<string, { digest: string; size: number }>();
      const result = await downloadTransfer(opened, {
        createSink: (file): FileSink => {
          const hash = createHash('sha256');
          let size = 0;
          return {
            write: async (bytes) => {
              hash.update(bytes);
              size += bytes.length;
            },
            commit: async () => void received.set(file.name, { digest: hash.digest('hex'), size }),
            abort: async () => undefined,
          };
        },
      });
      const nodeMs = Date.now() - nodeStart;
      assert.ok(result.completed, 'the server was told the download completed');
      assert.deepEqual([...received.keys()], [FILE_NAME]);
      assert.deepEqual(received.get(FILE_NAME), { digest: expected, size: GiB }, 'member 2 (client engine): byte-identical');

      for (const url of [...depositorSeen.requests, ...firstSeen.requests]) {
        assert.ok(url.startsWith(`${suite.web.url}/`) || url.startsWith('blob:'), `only the Valise server is contacted (${url})`);
      }
      console.log(`1 GiB team deposit: deposit (web page) ${seconds(depositMs)} s, download member 1 (web inbox) ${seconds(webMs)} s, download member 2 (client engine) ${seconds(nodeMs)} s`);
    });
});
