// Drop boxes through the real `valise` against the real server: an owner creates a box; a depositor without an
// account delivers files with only the link and an e-mailed code; the owner opens them; a server swapping the box
// key is caught by the depositor's client; domains are enforced. docs/format.md §13.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDropBox, serializeBoxKeyRecord, toBase64Url } from '@valise/crypto';
import { availableDialects } from '@valise/server/testing';
import { keyPassphrase, lines, memberOrg } from './testing/member-org.js';
import { runCli, waitFor } from './testing/run-cli.js';

const pattern = (n: number, seed: number) => Buffer.alloc(n, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 29 + seed) % 256)));
const json = <T>(s: string): T => JSON.parse(s) as T;

describe('drop boxes through the CLI', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    it(`box create → deposit without an account → owner receives; swapped box key refused; domain enforced (${dialect})`, async (t) => {
      const owner = 'virology@h.example';
      const org = await memberOrg(t, { dialect, emails: [owner], withKeys: [owner] });
      const { real, root } = org;
      const ownerEnv = org.members[owner]!.env;
      const depositorEnv = { VALISE_CONFIG_DIR: join(root, 'depositor') }; // never signed in anywhere
      const src = join(root, 'src');
      await mkdir(src);
      const csv = pattern(40_000, 3);
      const big = pattern(9 * 1024 * 1024, 4);
      await writeFile(join(src, 'results-LAB42.csv'), csv);
      await writeFile(join(src, 'images-LAB43.bin'), big);

      const created = await runCli(['--json', 'box', 'create', 'Virology lab — results', '--domain', 'lab.example', '--max-deposits', '2',
        '--max-size', '20MiB', '--class', 'health'], { env: ownerEnv, input: lines(keyPassphrase(owner)) });
      assert.equal(created.code, 0, created.stderr);
      const box = json<{ boxId: string; link: string; name: string; dataClass: string; allowedDomains: string[] }>(created.stdout);
      assert.equal(box.name, 'Virology lab — results');
      assert.deepEqual(box.allowedDomains, ['lab.example']);
      assert.match(box.link, new RegExp(`/d/${box.boxId}#[A-Za-z0-9_-]{43}$`));
      const listed = await runCli(['--json', 'box', 'list'], { env: ownerEnv });
      assert.deepEqual(json<{ boxes: { link: string }[] }>(listed.stdout).boxes.map((b) => b.link), [box.link]);

      // A depositor outside the allowed domain is told so, and no code is mailed.
      const mailsBefore = (await real.outbox()).length;
      const outsider = await runCli(['deposit', box.link, join(src, 'results-LAB42.csv'), '--email', 'someone@other.example', '--name', 'Other'], { env: depositorEnv });
      assert.equal(outsider.code, 2, outsider.stderr);
      assert.equal((await real.outbox()).length, mailsBefore);

      // A server offering another (validly signed) box's key for this link: the depositor's client refuses first.
      const rogue = await createDropBox('Virology lab — results');
      real.proxy!.rewriteWhen((method, path) => method === 'GET' && path === `/api/v1/boxes/${box.boxId}/public` ? (body) => {
        const served = JSON.parse(body.toString()) as { key: { record: string; signature: string } };
        served.key = { record: new TextDecoder().decode(serializeBoxKeyRecord({ ...rogue.record, boxId: box.boxId })), signature: toBase64Url(rogue.signature) };
        return Buffer.from(JSON.stringify(served));
      } : undefined);
      const swapped = await runCli(['deposit', box.link, join(src, 'results-LAB42.csv'), '--email', 'tech@lab.example', '--name', 'Lab Durand'], { env: depositorEnv });
      real.proxy!.rewriteWhen(undefined);
      assert.equal(swapped.code, 5, swapped.stderr);
      assert.match(swapped.stderr, /not the one in the link/);
      assert.equal((await real.outbox()).length, mailsBefore, 'nothing was asked of the server after the check failed');

      // The real deposit: the link, an address, the e-mailed code.
      const deposit = await runCli(['--json', 'deposit', box.link, join(src, 'results-LAB42.csv'), join(src, 'images-LAB43.bin'),
        '--email', 'tech@lab.example', '--name', 'Lab Durand', '--message', 'Série 7, MSG-LAB44'], { env: depositorEnv, drive: real.answerCode('tech@lab.example') });
      assert.equal(deposit.code, 0, deposit.stderr);
      const { receipt } = json<{ receipt: { transferId: string; boxId: string; boxName: string; files: { partSha256: string[] }[]; depositorEmail: string } }>(deposit.stdout);
      assert.equal(receipt.boxId, box.boxId);
      assert.equal(receipt.depositorEmail, 'tech@lab.example');
      assert.deepEqual(receipt.files.map((f) => f.partSha256.length), [1, 2]);
      // The receipt leaves after the server's answer (in the background): wait for it.
      const mails = await waitFor(async () => {
        const all = await real.outbox();
        return all.some((m) => m.to.includes('tech@lab.example') && JSON.stringify(m).includes(receipt.transferId)) ? all : undefined;
      }).catch(() => assert.fail('the receipt is e-mailed to the depositor'));
      for (const m of mails) assert.ok(!JSON.stringify(m).includes('LAB4'), 'no mail names a file or quotes the message');

      // The owner's inbox shows an unverified sender; the owner opens it with the box keys.
      const inbox = await runCli(['--json', 'inbox'], { env: ownerEnv });
      const entry = json<{ transfers: { transferId: string; kind: string; sender: unknown; deposit: { depositorEmail: string; depositorName: string; boxName: string } }[] }>(inbox.stdout).transfers[0]!;
      assert.deepEqual([entry.transferId, entry.kind, entry.sender, entry.deposit.depositorEmail, entry.deposit.depositorName, entry.deposit.boxName],
        [receipt.transferId, 'deposit', null, 'tech@lab.example', 'Lab Durand', 'Virology lab — results']);
      const text = await runCli(['inbox'], { env: ownerEnv });
      assert.match(text.stdout, /Lab Durand <tech@lab\.example> \(unverified sender\)/);
      const out = join(root, 'owner-out');
      const recv = await runCli(['--json', 'receive', receipt.transferId, '--out', out], { env: ownerEnv, input: lines(keyPassphrase(owner)) });
      assert.equal(recv.code, 0, recv.stderr);
      const got = json<{ message: string; depositor: { email: string; name: string; verified: string } }>(recv.stdout);
      assert.deepEqual(got.depositor, { email: 'tech@lab.example', name: 'Lab Durand', verified: 'email' });
      assert.equal(got.message, 'Série 7, MSG-LAB44');
      assert.deepEqual(await readFile(join(out, 'results-LAB42.csv')), csv);
      assert.deepEqual(await readFile(join(out, 'images-LAB43.bin')), big);

      // Ctrl-C mid-deposit (the network stalls after the first part): exit 130, and the deposit is given up at once,
      // the depositor's permission spent, so the purge gives its place in the box back.
      let puts = 0;
      real.proxy!.stallWhen((method) => method === 'PUT' && ++puts > 1);
      const stopped = await runCli(['deposit', box.link, join(src, 'images-LAB43.bin'), '--email', 'nurse@lab.example', '--name', 'Lab Durand'], {
        env: depositorEnv,
        drive: async (child) => {
          await real.answerCode('nurse@lab.example')(child);
          await waitFor(() => (real.proxy!.count('stalled', 'PUT') > 0 ? true : undefined));
          child.kill('SIGINT');
        },
      });
      real.proxy!.stallWhen(undefined);
      assert.equal(stopped.code, 130, stopped.stderr);
      const given = await real.db.selectFrom('transfers').select(['state', 'close_reason'])
        .where('box_id', '=', box.boxId).where('depositor_email', '=', 'nurse@lab.example').execute();
      assert.deepEqual(given, [{ state: 'closed', close_reason: 'abandoned' }]);

      // Closing the box stops deposits.
      assert.equal((await runCli(['box', 'close', box.boxId], { env: ownerEnv })).code, 0);
      const closed = await runCli(['deposit', box.link, join(src, 'results-LAB42.csv'), '--email', 'tech@lab.example', '--name', 'Lab Durand'], { env: depositorEnv });
      assert.equal(closed.code, 4, closed.stderr);
    });
  }
});
