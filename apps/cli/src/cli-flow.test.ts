// The real `valise` command, in child processes, against the REAL server (apps/server with its full domain, over
// HTTP on loopback): accounts, send, receive, list, revoke, resume, Ctrl-C, expiry and tampering. Network failures
// are made by a real forwarding proxy that hangs chosen requests (testing/stall-proxy.ts), never by a server double.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableDialects, totpCodeAt } from '@valise/server/testing';
import { TEMP_PREFIX } from './node-file-sink.js';
import { ManualClock, PASSWORD, RealServer, cliWorkspace, type CliWorkspace, type EnrolledMember } from './testing/real-server.js';
import { runCli, waitFor } from './testing/run-cli.js';

/** n bytes of (i * 13 + seed) mod 256: a 256-byte period, so filled by repetition. */
const pattern = (n: number, seed: number) => Buffer.alloc(n, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 13 + seed) % 256)));
const TOTP_STEP_MS = 30_000;

async function transferState(w: CliWorkspace, transferId: string) {
  return w.real.db.selectFrom('transfers').select(['state', 'close_reason', 'downloads_used', 'max_downloads'])
    .where('id', '=', transferId).executeTakeFirstOrThrow();
}

/** A 6-digit code the server accepts at no step of its ±1 window around `now`. */
function wrongTotp(secret: string, now: number): string {
  const valid = new Set([-1, 0, 1].map((k) => totpCodeAt(secret, now + k * TOTP_STEP_MS)));
  let n = Number(totpCodeAt(secret, now));
  let code: string;
  do code = String((n = (n + 1) % 1_000_000)).padStart(6, '0'); while (valid.has(code));
  return code;
}

describe('valise against the real server', { concurrency: 3 }, async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));
  const stores = [...dialects.map((dialect) => ({ dialect, blobs: 'fs' as const })), { dialect: 'sqlite' as const, blobs: 's3' as const }];

  for (const store of stores) {
    it(`valise send, then valise receive (twice, then exhausted), through HTTP (${store.dialect}, ${store.blobs} storage)`, async (t) => {
      const w = await cliWorkspace(t, store);
      const report = pattern(50_000, 1);
      const big = pattern(9 * 1024 * 1024, 2);
      await writeFile(join(w.src, 'report.pdf'), report);
      await writeFile(join(w.src, 'big.bin'), big);

      const send = await runCli(['--json', 'send', join(w.src, 'report.pdf'), join(w.src, 'big.bin'), '--to', 'lab@x.example',
        '--max-downloads', '2', '--expires', '2d', '--message', 'Bonjour\u001b[31m'], { env: w.env });
      assert.equal(send.code, 0, send.stderr);
      const sent = JSON.parse(send.stdout) as { transferId: string; link: string; expiresAt: number; recipients: string[]; maxDownloads: number; inboxRecipients: string[]; teams: string[] };
      assert.deepEqual(Object.keys(sent).sort(), ['dataClass', 'expiresAt', 'inboxRecipients', 'link', 'maxDownloads', 'recipients', 'teams', 'transferId']);
      assert.deepEqual(sent.inboxRecipients, [], 'an outside recipient gets the link, not an inbox slot');
      assert.deepEqual(sent.teams, []);
      assert.equal(sent.maxDownloads, 2);
      assert.deepEqual(sent.recipients, ['lab@x.example']);
      assert.ok(sent.link.startsWith(`${w.real.url}/t/`), 'the link names the server\'s public URL');
      assert.match(sent.link, new RegExp(`/t/${sent.transferId}#[A-Za-z0-9_-]{43}$`));
      assert.ok(Math.abs(sent.expiresAt - (Date.now() + 2 * 86_400_000)) < 60_000);
      assert.deepEqual(await readdir(join(w.configDir, 'uploads')), [], 'resume state deleted after success');
      assert.deepEqual(await transferState(w, sent.transferId), { state: 'ready', close_reason: null, downloads_used: 0, max_downloads: 2 });
      assert.equal((await w.real.blobKeys(sent.transferId)).length, 3, 'report.pdf in one part, big.bin (9 MiB) in two');

      const out = join(w.root, 'out');
      const recv = await runCli(['--json', 'receive', sent.link, '--out', out, '--email', 'lab@x.example'], { env: w.env, drive: w.real.answerCode('lab@x.example') });
      assert.equal(recv.code, 0, recv.stderr);
      const got = JSON.parse(recv.stdout) as { files: { name: string; path: string; size: number }[]; message: string };
      assert.deepEqual(got.files.map((f) => f.name), ['report.pdf', 'big.bin']);
      assert.equal(got.message, 'Bonjour[31m', 'control characters of the sender are not printed');
      assert.deepEqual(await readFile(join(out, 'report.pdf')), report);
      assert.deepEqual(await readFile(join(out, 'big.bin')), big);

      const again = await runCli(['receive', sent.link, '--out', out, '--email', 'lab@x.example'], { env: w.env, drive: w.real.answerCode('lab@x.example') });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(again.stdout.trim().split('\n'), [join(out, 'report (1).pdf'), join(out, 'big (1).bin')]);
      assert.deepEqual((await readdir(out)).sort(), ['big (1).bin', 'big.bin', 'report (1).pdf', 'report.pdf']);
      assert.equal((await transferState(w, sent.transferId)).downloads_used, 2);

      const mailsBefore = (await w.real.outbox()).length;
      const exhausted = await runCli(['receive', sent.link, '--out', out, '--email', 'lab@x.example'], { env: w.env });
      assert.equal(exhausted.code, 4);
      assert.match(exhausted.stderr, /^valise: this transfer has reached its maximum number of downloads$/m);
      assert.equal((await w.real.outbox()).length, mailsBefore, 'no code is mailed for a used-up transfer');

      const list = await runCli(['list'], { env: w.env });
      assert.match(list.stdout, new RegExp(`^${sent.transferId}\\s.*\\s2/2\\s+lab@x\\.example$`, 'm'));

      const incomplete = await runCli(['receive', sent.link.split('#')[0]!, '--out', out], { env: w.env });
      assert.equal(incomplete.code, 2);
      assert.match(incomplete.stderr, /^valise: the link is incomplete: the part after # is missing$/m);
      assert.ok(!`${send.stderr}${recv.stderr}${again.stderr}${exhausted.stderr}`.includes(sent.link.split('#')[1]!), 'the secret is never on stderr');
    });
  }

  it('valise list and revoke; a revoked link no longer opens (exit 4), before and after the purge', async (t) => {
    const w = await cliWorkspace(t);
    await writeFile(join(w.src, 'a.txt'), 'hello');
    const send = await runCli(['send', join(w.src, 'a.txt'), '--to', 'r@x.example'], { env: w.env });
    assert.equal(send.code, 0, send.stderr);
    const transferId = /\/t\/([A-Za-z0-9_-]{22})#/.exec(send.stdout)![1]!;
    const list = await runCli(['list'], { env: w.env });
    assert.equal(list.code, 0, list.stderr);
    const [header, row, extra] = list.stdout.trim().split('\n');
    assert.match(header!, /^ID\s+STATE\s+CLASS\s+CREATED \(UTC\)\s+EXPIRES \(UTC\)\s+DOWNLOADS\s+RECIPIENTS$/);
    // The server's policy: one download per recipient unless the sender says otherwise.
    assert.match(row!, new RegExp(`^${transferId}\\s+ready\\s+standard\\s+\\d{4}-.*\\s0/1\\s+r@x\\.example$`));
    assert.equal(extra, undefined);
    const listJson = await runCli(['list', '--json'], { env: w.env });
    assert.equal((JSON.parse(listJson.stdout) as { transfers: { transferId: string }[] }).transfers[0]!.transferId, transferId);

    const revoke = await runCli(['revoke', transferId], { env: w.env });
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.match(revoke.stdout, new RegExp(`^Revoked ${transferId}: `));
    const after = await transferState(w, transferId);
    assert.deepEqual([after.state, after.close_reason], ['closed', 'revoked']);
    const listed = await runCli(['list'], { env: w.env });
    assert.match(listed.stdout, new RegExp(`^${transferId}\\s+closed \\(revoked\\)\\s`, 'm'));

    const opened = await runCli(['receive', send.stdout.trim(), '--out', join(w.root, 'o'), '--email', 'r@x.example'], { env: w.env });
    assert.equal(opened.code, 4, opened.stderr);
    assert.match(opened.stderr, /^valise: the sender revoked this transfer$/m);
    assert.deepEqual(await readdir(join(w.root, 'o')), []);
    assert.deepEqual(await w.real.outbox(), [], 'no code is mailed for a revoked transfer');

    // "its files will be deleted": the purge job deletes them; the link keeps saying why it does not open.
    assert.equal((await w.real.storedKeys()).length, 1);
    await w.real.purge();
    assert.deepEqual(await w.real.storedKeys(), []);
    const purged = await transferState(w, transferId);
    assert.deepEqual([purged.state, purged.close_reason], ['purged', 'revoked']);
    const proof = await runCli(['deletion-record', transferId], { env: w.env });
    assert.equal(proof.code, 0, proof.stderr);
    assert.match(proof.stdout, new RegExp(`^Transfer ${transferId} \\(standard\\) was purged on .* UTC, reason: revoked\\.$`, 'm'));
    assert.match(proof.stdout, /^1 stored part, \d+ bytes, each confirmed gone by the storage:$/m);
    assert.match(proof.stdout, /^FILE\s+PART\s+BYTES\s+SHA-256 \(AS UPLOADED\)\s+GONE \(UTC\)\n1\s+1\s+\d+\s+[A-Za-z0-9_-]{43}\s+\d{4}-/m);
    const later = await runCli(['receive', send.stdout.trim(), '--out', join(w.root, 'o'), '--email', 'r@x.example'], { env: w.env });
    assert.equal(later.code, 4, later.stderr);
    assert.match(later.stderr, /^valise: the sender revoked this transfer$/m);

    // A page at a time: --limit shows the newest N and says older ones exist; --all shows every one.
    const newer = await runCli(['send', join(w.src, 'a.txt'), '--to', 'r@x.example'], { env: w.env });
    assert.equal(newer.code, 0, newer.stderr);
    const newest = await runCli(['--json', 'list', '--limit', '1'], { env: w.env });
    const newestPage = JSON.parse(newest.stdout) as { transfers: { transferId: string }[]; more: boolean };
    assert.deepEqual([newestPage.transfers.length, newestPage.more], [1, true]);
    assert.notEqual(newestPage.transfers[0]!.transferId, transferId, 'the newest first');
    assert.match((await runCli(['list', '--limit', '1'], { env: w.env })).stderr, /Showing the newest 1; older ones: valise list --all/);
    const everything = JSON.parse((await runCli(['--json', 'list', '--all'], { env: w.env })).stdout) as { transfers: { transferId: string }[]; more: boolean };
    assert.deepEqual([everything.transfers.length, everything.more, everything.transfers[1]!.transferId], [2, false, transferId]);
  });

  it('Ctrl-C during receive exits 130, removes the temporary file, and the same command resumes without spending a download', async (t) => {
    const w = await cliWorkspace(t, { proxy: true });
    const proxy = w.real.proxy!;
    await writeFile(join(w.src, 'a.bin'), pattern(100_000, 3));
    const send = await runCli(['send', join(w.src, 'a.bin'), '--to', 'r@x.example'], { env: w.env });
    assert.equal(send.code, 0, send.stderr);
    assert.ok(send.stdout.startsWith(`${proxy.url}/t/`), 'the link goes through the proxy');
    const out = join(w.root, 'out');
    await mkdir(out);
    proxy.stallWhen((method, path) => method === 'GET' && path.startsWith('/api/v1/download/') && path.includes('/parts/'));
    const run = await runCli(['receive', send.stdout.trim(), '--out', out, '--email', 'r@x.example'], {
      env: w.env,
      drive: async (child) => {
        await w.real.answerCode('r@x.example')(child);
        await waitFor(() => (proxy.stalled.length > 0 ? true : undefined));
        await waitFor(async () => ((await readdir(out)).some((n) => n.startsWith(TEMP_PREFIX)) ? true : undefined));
        child.kill('SIGINT');
      },
    });
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /^valise: interrupted$/m);
    assert.deepEqual(await readdir(out), []);
    assert.equal(proxy.count('answered', 'GET', '/parts/'), 0, 'no part ever reached the receiver');

    // The grant was kept (0600): running the same command again resumes, with no code and no download spent.
    const kept = await readdir(join(w.configDir, 'grants'));
    assert.equal(kept.length, 1);
    if (process.platform !== 'win32') assert.equal((await stat(join(w.configDir, 'grants', kept[0]!))).mode & 0o777, 0o600);
    const transferId = send.stdout.trim().split('/t/')[1]!.split('#')[0]!;
    assert.deepEqual(await transferState(w, transferId), { state: 'ready', close_reason: null, downloads_used: 1, max_downloads: 1 });
    proxy.stallWhen(undefined);
    const again = await runCli(['receive', send.stdout.trim(), '--out', out, '--email', 'r@x.example'], { env: w.env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Resuming the interrupted download/);
    assert.doesNotMatch(again.stderr, /A code was sent/);
    assert.deepEqual(await readFile(join(out, 'a.bin')), pattern(100_000, 3));
    assert.equal((await transferState(w, transferId)).downloads_used, 1, 'the one download was spent once');
    assert.deepEqual(await readdir(join(w.configDir, 'grants')), [], 'a finished download keeps nothing');
  });

  it('an interrupted send resumes: same transfer, missing parts only, 0600 resume state meanwhile', async (t) => {
    const w = await cliWorkspace(t, { proxy: true });
    const proxy = w.real.proxy!;
    const data = pattern(3 * 8 * 1024 * 1024 + 7, 4); // 4 parts
    await writeFile(join(w.src, 'scan.bin'), data);
    let puts = 0;
    proxy.stallWhen((method) => method === 'PUT' && ++puts > 2); // the network dies after two parts
    const first = await runCli(['send', join(w.src, 'scan.bin'), '--to', 'r@x.example'], {
      env: w.env,
      drive: async (child) => {
        await waitFor(() => (proxy.count('answered', 'PUT') === 2 && proxy.count('stalled', 'PUT') > 0 ? true : undefined));
        child.kill('SIGINT');
      },
    });
    assert.equal(first.code, 130, first.stderr);
    const states = await readdir(join(w.configDir, 'uploads'));
    assert.equal(states.length, 1);
    if (process.platform !== 'win32') assert.equal((await stat(join(w.configDir, 'uploads', states[0]!))).mode & 0o777, 0o600);
    const transfers = await w.real.db.selectFrom('transfers').select(['id', 'state']).execute();
    assert.equal(transfers.length, 1);
    const transferId = transfers[0]!.id;
    assert.equal(transfers[0]!.state, 'uploading');
    assert.equal((await w.real.blobKeys(transferId)).length, 2, 'the server holds the two parts that got through');

    proxy.stallWhen(undefined);
    const putsBefore = proxy.count('received', 'PUT');
    const second = await runCli(['send', join(w.src, 'scan.bin'), '--to', 'r@x.example'], { env: w.env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /Resuming an interrupted send \(2 of 4 parts already on the server\)/);
    assert.ok(second.stdout.includes(`/t/${transferId}#`));
    assert.equal(proxy.count('received', 'PUT') - putsBefore, 2, 'only the two missing parts were sent');
    assert.deepEqual(await readdir(join(w.configDir, 'uploads')), []);
    assert.equal((await w.real.blobKeys(transferId)).length, 4);

    const out = join(w.root, 'out');
    const recv = await runCli(['receive', second.stdout.trim(), '--out', out, '--email', 'r@x.example'], { env: w.env, drive: w.real.answerCode('r@x.example') });
    assert.equal(recv.code, 0, recv.stderr);
    assert.deepEqual(await readFile(join(out, 'scan.bin')), data);
  });

  it('with part-sealer threads: Ctrl-C mid-send exits, a damaged resume state fails in a thread and exits, a resend arrives intact', async (t) => {
    const w = await cliWorkspace(t, { proxy: true });
    const proxy = w.real.proxy!;
    const env = { ...w.env, VALISE_SEAL_THREADS: '2' }; // this machine's default may be none
    const data = pattern(3 * 8 * 1024 * 1024 + 7, 5); // 4 parts
    await writeFile(join(w.src, 'scan.bin'), data);
    let puts = 0;
    proxy.stallWhen((method) => method === 'PUT' && ++puts > 1);
    const first = await runCli(['send', join(w.src, 'scan.bin'), '--to', 'r@x.example'], {
      env,
      drive: async (child) => {
        await waitFor(() => (proxy.count('stalled', 'PUT') > 0 ? true : undefined));
        child.kill('SIGINT');
      },
      timeoutMs: 20_000, // the threads must not keep the process alive
    });
    assert.equal(first.code, 130, first.stderr);
    proxy.stallWhen(undefined);

    // A resume state whose file salt was damaged on disk: the thread that encrypts the next part fails.
    const [state] = await readdir(join(w.configDir, 'uploads'));
    const path = join(w.configDir, 'uploads', state!);
    const saved = JSON.parse(await readFile(path, 'utf8')) as { files: { key: string; salt: string }[] };
    saved.files[0]!.salt = 'A'.repeat(31);
    await writeFile(path, JSON.stringify(saved));
    const damaged = await runCli(['send', join(w.src, 'scan.bin'), '--to', 'r@x.example'], { env, timeoutMs: 20_000 });
    assert.equal(damaged.code, 1, damaged.stderr);
    assert.match(damaged.stderr, /^valise: encrypting a part failed: .+$/m);
    assert.ok(!damaged.stderr.includes(saved.files[0]!.key), 'the file key is not in the message');

    await rm(path);
    const send = await runCli(['send', join(w.src, 'scan.bin'), '--to', 'r@x.example'], { env });
    assert.equal(send.code, 0, send.stderr);
    const out = join(w.root, 'out');
    const recv = await runCli(['receive', send.stdout.trim(), '--out', out, '--email', 'r@x.example'], { env, drive: w.real.answerCode('r@x.example') });
    assert.equal(recv.code, 0, recv.stderr);
    assert.deepEqual(await readFile(join(out, 'scan.bin')), data);
  });

  it('a signed-in member who is a recipient receives without a code; a non-recipient falls back to the code', async (t) => {
    const w = await cliWorkspace(t);
    await writeFile(join(w.src, 'm.txt'), 'for me');
    const mine = await runCli(['send', join(w.src, 'm.txt'), '--to', w.sender.email], { env: w.env });
    assert.equal(mine.code, 0, mine.stderr);
    const out = join(w.root, 'out');
    const recv = await runCli(['receive', mine.stdout.trim(), '--out', out], { env: w.env });
    assert.equal(recv.code, 0, recv.stderr);
    assert.equal(await readFile(join(out, 'm.txt'), 'utf8'), 'for me');
    assert.equal((await w.real.outbox()).length, 0, 'no code was mailed to the member');

    const theirs = await runCli(['send', join(w.src, 'm.txt'), '--to', 'r@x.example'], { env: w.env });
    assert.equal(theirs.code, 0, theirs.stderr);
    const fallback = await runCli(['receive', theirs.stdout.trim(), '--out', out], {
      env: w.env,
      drive: async (child) => {
        child.stdin.write('r@x.example\n');
        await w.real.answerCode('r@x.example')(child);
      },
    });
    assert.equal(fallback.code, 0, fallback.stderr);
    assert.match(fallback.stderr, /not a recipient here: continuing with an e-mailed code/);
    assert.equal(await readFile(join(out, 'm (1).txt'), 'utf8'), 'for me');
  });

  it('a wrong e-mailed code, then the right one', async (t) => {
    const w = await cliWorkspace(t);
    await writeFile(join(w.src, 'c.txt'), 'second try');
    const send = await runCli(['send', join(w.src, 'c.txt'), '--to', 'r@x.example'], { env: w.env });
    assert.equal(send.code, 0, send.stderr);
    const out = join(w.root, 'out');
    const recv = await runCli(['receive', send.stdout.trim(), '--out', out, '--email', 'r@x.example'], {
      env: w.env,
      drive: async (child, output) => {
        const code = await w.real.nextCode('r@x.example');
        child.stdin.write(`${code === '00000000' ? '11111111' : '00000000'}\n`);
        await waitFor(() => (/That code is not right/.test(output.stderr()) ? true : undefined));
        child.stdin.write(`${code}\n`);
        child.stdin.end();
      },
    });
    assert.equal(recv.code, 0, recv.stderr);
    assert.match(recv.stderr, /That code is not right \(4 attempts left\)/);
    assert.equal(await readFile(join(out, 'c.txt'), 'utf8'), 'second try');
  });

  it('an expired transfer does not open (exit 4), before and after the purge job deletes its files', async (t) => {
    const clock = new ManualClock(Date.now());
    const w = await cliWorkspace(t, { clock });
    await writeFile(join(w.src, 'e.txt'), 'too late');
    const send = await runCli(['--json', 'send', join(w.src, 'e.txt'), '--to', 'r@x.example', '--expires', '1m'], { env: w.env });
    assert.equal(send.code, 0, send.stderr);
    const sent = JSON.parse(send.stdout) as { transferId: string; link: string; expiresAt: number };
    assert.equal(sent.expiresAt, clock.now() + 60_000, 'the shortest expiry the server allows');

    clock.advance(60_001);
    const recv = await runCli(['receive', sent.link, '--out', join(w.root, 'out'), '--email', 'r@x.example'], { env: w.env });
    assert.equal(recv.code, 4, recv.stderr);
    assert.match(recv.stderr, /^valise: this transfer has expired; its files have been deleted$/m);
    assert.deepEqual(await w.real.outbox(), [], 'no code is mailed for an expired transfer');
    assert.deepEqual(await readdir(join(w.root, 'out')), []);

    // The purge job then closes it and deletes its files; the answer stays the same.
    assert.equal((await w.real.storedKeys()).length, 1);
    await w.real.purge();
    assert.deepEqual(await w.real.storedKeys(), []);
    const purged = await transferState(w, sent.transferId);
    assert.deepEqual([purged.state, purged.close_reason], ['purged', 'expired']);
    const later = await runCli(['receive', sent.link, '--out', join(w.root, 'out'), '--email', 'r@x.example'], { env: w.env });
    assert.equal(later.code, 4, later.stderr);
    assert.match(later.stderr, /^valise: this transfer has expired; its files have been deleted$/m);
  });

  it('a download altered in the server\'s storage fails the integrity check (exit 5): no file, no temporary file', async (t) => {
    const w = await cliWorkspace(t);
    await writeFile(join(w.src, 'one.bin'), pattern(1000, 10));
    await writeFile(join(w.src, 'two.bin'), pattern(1000, 11));
    const send = await runCli(['--json', 'send', join(w.src, 'one.bin'), join(w.src, 'two.bin'), '--to', 'r@x.example'], { env: w.env });
    assert.equal(send.code, 0, send.stderr);
    const sent = JSON.parse(send.stdout) as { transferId: string; link: string };
    const blobs = await w.real.blobKeys(sent.transferId);
    assert.deepEqual(blobs.map((b) => [b.file, b.part]), [[0, 0], [1, 0]]);
    // The second file: the first one is then already written (to its temporary file) when the damage is found.
    const before = await w.real.readBlob(blobs[1]!.key);
    await w.real.corruptBlob(blobs[1]!.key, 100);
    assert.notDeepEqual(await w.real.readBlob(blobs[1]!.key), before);

    const out = join(w.root, 'out');
    const recv = await runCli(['receive', sent.link, '--out', out, '--email', 'r@x.example'], { env: w.env, drive: w.real.answerCode('r@x.example') });
    assert.equal(recv.code, 5, recv.stderr);
    assert.match(recv.stderr, /^valise: integrity check failed, nothing was kept: /m);
    assert.equal(recv.stdout, '');
    assert.deepEqual(await readdir(out), [], 'no file and no temporary file');
  });

  it('valise logout revokes the token and deletes the credentials; then commands ask to sign in (exit 3)', async (t) => {
    const w = await cliWorkspace(t);
    const { token } = JSON.parse(await readFile(join(w.configDir, 'credentials.json'), 'utf8')) as { token: string };
    assert.equal((await w.real.api(token).me()).email, w.sender.email, 'the stored token works before logout');
    const out = await runCli(['logout'], { env: w.env });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Signed out of /);
    await assert.rejects(w.real.api(token).me(), (e: unknown) => (e as { status?: number }).status === 401, 'the server refuses the token');
    const sessions = await w.real.db.selectFrom('sessions').select('revoked_at').where('user_id', '=', w.sender.id).execute();
    assert.equal(sessions.length, 1);
    assert.notEqual(sessions[0]!.revoked_at, null);
    assert.deepEqual((await readdir(w.configDir)).filter((n) => n === 'credentials.json'), []);
    const list = await runCli(['list'], { env: w.env });
    assert.equal(list.code, 3);
    assert.match(list.stderr, /^valise: not signed in: run `valise login <server address>` first$/m);
    const again = await runCli(['logout'], { env: w.env });
    assert.equal(again.code, 0);
  });

  it('valise admin invite prints only the link on stdout: the server\'s log lines (a fresh install migrates) go to stderr', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'valise-admin-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const env = { VALISE_DATA_DIR: dataDir, VALISE_PUBLIC_URL: 'https://valise.example.org', VALISE_LOG_LEVEL: 'info' };
    const plain = await runCli(['admin', 'invite', 'nurse@hospital.example'], { env });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^https:\/\/valise\.example\.org\/enroll#[A-Za-z0-9_-]{43}\n$/);
    assert.match(plain.stderr, /"msg":"database migrated"/);
    const json = await runCli(['--json', 'admin', 'invite', 'officer@hospital.example', '--admin'], { env });
    assert.equal(json.code, 0, json.stderr);
    const invitation = JSON.parse(json.stdout) as { email: string; admin: boolean; enrollmentLink: string; expiresAt: number };
    assert.deepEqual([invitation.email, invitation.admin], ['officer@hospital.example', true]);
    assert.match(invitation.enrollmentLink, /^https:\/\/valise\.example\.org\/enroll#[A-Za-z0-9_-]{43}$/);
    const again = await runCli(['admin', 'invite', 'nurse@hospital.example'], { env });
    assert.equal(again.code, 0, 'a new invitation replaces a pending one');
    assert.notEqual(again.stdout, plain.stdout);
  });

  it('valise admin fsck reports a stray stored object (exit 5, nothing changed), then deletes it with --repair (exit 0)', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'valise-fsck-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const env = { VALISE_DATA_DIR: dataDir, VALISE_PUBLIC_URL: 'https://valise.example.org' };
    const clean = await runCli(['admin', 'fsck'], { env });
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /^Checked 0 stored objects against 0 recorded parts\.\nNothing amiss\.\n$/);
    // An object left by a crash between storing a part and recording it.
    const key = 'ab' + '0'.repeat(30);
    await mkdir(join(dataDir, 'blobs', 'ab'), { recursive: true });
    await writeFile(join(dataDir, 'blobs', 'ab', key), Buffer.alloc(321, 7));

    const found = await runCli(['--json', 'admin', 'fsck'], { env });
    assert.equal(found.code, 5, found.stderr);
    const report = JSON.parse(found.stdout) as { orphanBlobs: unknown[]; repaired: unknown };
    assert.deepEqual(report.orphanBlobs, [{ blobKey: key, size: 321 }]);
    assert.equal(report.repaired, null);
    assert.match(found.stderr, /storage and database disagree/);
    assert.equal((await readdir(join(dataDir, 'blobs', 'ab'))).length, 1, 'a check alone changes nothing');

    const repaired = await runCli(['admin', 'fsck', '--repair', '--grace', '0'], { env });
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, /Repaired: 1 orphan objects deleted \(321 bytes\), 0 lost parts forgotten/);
    assert.deepEqual(await readdir(join(dataDir, 'blobs', 'ab')), []);
  });

  it('valise admin classes lists the data classes; set changes one (audited), refuses values beyond the ceilings (exit 2)', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'valise-classes-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const env = { VALISE_DATA_DIR: dataDir, VALISE_PUBLIC_URL: 'https://valise.example.org', VALISE_LOG_LEVEL: 'warn' };
    const listed = await runCli(['admin', 'classes'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.split('\n');
    assert.match(lines[0]!, /^class +max life +default +downloads +deleted when downloaded +outside recipients$/);
    assert.match(lines[1]!, /^health +7d +3d +20 +yes +yes$/);
    assert.match(lines[2]!, /^standard \(default\) +30d +7d +100 +no +yes$/);

    const changed = await runCli(['admin', 'classes', 'set', 'health', '--max-expiry', '2d', '--default-expiry', '1d'], { env });
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stderr, /Changed the data class health \(recorded in the audit log\)/);
    const created = await runCli(['admin', 'classes', 'set', 'staff', '--create', '--max-expiry', '14d', '--default-expiry', '7d', '--outside-recipients', 'no', '--description', 'Between colleagues'], { env });
    assert.equal(created.code, 0, created.stderr);
    const json = await runCli(['--json', 'admin', 'classes', 'list'], { env });
    const classes = (JSON.parse(json.stdout) as { classes: { name: string; maxExpiryMs: number; allowOutsideRecipients: boolean; description: string }[] }).classes;
    assert.deepEqual(classes.map((c) => [c.name, c.maxExpiryMs / 86_400_000, c.allowOutsideRecipients]), [['health', 2, true], ['staff', 14, false], ['standard', 30, true]]);

    const beyond = await runCli(['admin', 'classes', 'set', 'standard', '--max-expiry', '60d'], { env });
    assert.equal(beyond.code, 2);
    assert.match(beyond.stderr, /valise: The maximum lifetime must be between 1 minute and 30 days \(VALISE_MAX_EXPIRY\)/);
    const nothing = await runCli(['admin', 'classes', 'set', 'standard'], { env });
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /nothing to change/);
  });

  for (const dialect of dialects) {
    it(`valise admin invite (server host, ${dialect}) → valise enroll (a wrong authenticator code, then the right one) → valise login → valise list`, async (t) => {
      const real = await RealServer.start({ dialect });
      const root = await mkdtemp(join(tmpdir(), 'valise-enroll-'));
      t.after(async () => {
        await real.close();
        await rm(root, { recursive: true, force: true });
      });
      const configDir = join(root, 'config');
      const env = { VALISE_CONFIG_DIR: configDir };
      const email = 'Dr.Martin@Hospital.example';

      // On the server host: the server's own environment (and the administrator's CLI settings, which it ignores).
      const invite = await runCli(['admin', 'invite', email, '--admin'], { env: { ...real.serverEnv(), ...env } });
      assert.equal(invite.code, 0, invite.stderr);
      const link = invite.stdout.trim();
      assert.match(link, new RegExp(`^${real.url.replace(/[.]/g, '\\.')}/enroll#[A-Za-z0-9_-]{43}$`));
      assert.match(invite.stderr, /Invitation created for Dr\.Martin@Hospital\.example \(administrator\)\. It works until \d{4}-/);
      const pending = await real.db.selectFrom('enrollments').select(['email', 'is_admin', 'used_at']).execute();
      assert.deepEqual(pending.map((e) => [e.email, Number(e.is_admin), e.used_at]), [['dr.martin@hospital.example', 1, null]]);

      let secret = '';
      let rightStep = 0;
      const enroll = await runCli(['enroll', link], {
        env,
        drive: async (child, output) => {
          child.stdin.write(`${PASSWORD}\n${PASSWORD}\n`);
          secret = await waitFor(() => /^ {3}Key: ([A-Z2-7]+)$/m.exec(output.stderr())?.[1]);
          child.stdin.write(`${wrongTotp(secret, real.now())}\n`);
          await waitFor(() => (/That code is not right; wait for the next one/.test(output.stderr()) ? true : undefined));
          const now = real.now();
          rightStep = Math.floor(now / TOTP_STEP_MS);
          child.stdin.write(`${totpCodeAt(secret, now)}\n`);
          child.stdin.end();
        },
      });
      assert.equal(enroll.code, 0, enroll.stderr);
      assert.match(enroll.stdout, /^Enrolled dr\.martin@hospital\.example\. Sign in on this computer with:$/m);
      assert.ok(enroll.stderr.includes('otpauth://totp/'), 'the authenticator URI is shown');
      const user = await real.db.selectFrom('users').select(['email', 'is_admin', 'status']).execute();
      assert.deepEqual(user.map((u) => [u.email, Number(u.is_admin), u.status]), [['dr.martin@hospital.example', 1, 'active']]);

      const reused = await runCli(['enroll', link], { env, input: `${PASSWORD}\n${PASSWORD}\n000000\n` });
      assert.equal(reused.code, 4, 'an enrollment link works once');

      const member: EnrolledMember = { id: '', email: 'dr.martin@hospital.example', password: PASSWORD, totpSecret: secret, isAdmin: true, lastStep: rightStep };
      const wrong = await runCli(['login', real.url, '--email', member.email], { env, input: `${PASSWORD}\n${wrongTotp(secret, real.now())}\n` });
      assert.equal(wrong.code, 3);
      assert.match(wrong.stderr, /^valise: the e-mail address, password or authenticator code is wrong$/m);

      const login = await runCli(['--json', 'login', real.url, '--email', member.email], { env, input: `${PASSWORD}\n${real.nextTotp(member)}\n` });
      assert.equal(login.code, 0, login.stderr);
      const signedIn = JSON.parse(login.stdout) as { email: string; isAdmin: boolean; serverUrl: string };
      assert.deepEqual([signedIn.email, signedIn.isAdmin, signedIn.serverUrl], [member.email, true, real.url]);
      assert.equal((await stat(join(configDir, 'credentials.json'))).mode & 0o777, 0o600);

      const list = await runCli(['list'], { env });
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stderr, /No transfers yet\./);
      const listJson = await runCli(['--json', 'list'], { env });
      assert.deepEqual(JSON.parse(listJson.stdout), { transfers: [], more: false });
    });
  }
});
