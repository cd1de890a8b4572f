// The real `valise` command, in child processes, sending and receiving through HTTP. The HTTP side is the
// client package's in-memory protocol double served over node:http: it checks proofs, hashes and limits,
// but it is not apps/server — the end-to-end run against the real server is the lead's integration test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryValiseServer } from '@valise/client/testing';
import { saveCredentials } from './credentials.js';
import { TEMP_PREFIX } from './node-file-sink.js';
import { runCli, waitFor } from './testing/run-cli.js';

async function startServer() {
  let double!: InMemoryValiseServer;
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      double.fetch(`${double.baseUrl}${req.url}`, { method: req.method!, headers, ...(body.length ? { body: new Uint8Array(body) } : {}) })
        .then(async (r) => {
          res.writeHead(r.status, Object.fromEntries(r.headers));
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  double = new InMemoryValiseServer({ baseUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}` });
  const close = () => new Promise<void>((r) => {
    http.close(() => r());
    http.closeAllConnections();
  });
  return { double, close };
}

async function workspace(t: { after(fn: () => Promise<void>): void }) {
  const server = await startServer();
  const root = await mkdtemp(join(tmpdir(), 'valise-flow-'));
  t.after(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });
  const configDir = join(root, 'config');
  await saveCredentials(configDir, {
    v: 1, serverUrl: server.double.baseUrl, email: server.double.memberEmail, memberId: 'AAECAwQFBgcICQoLDA0ODw', isAdmin: false,
    token: server.double.memberToken, expiresAt: null,
  });
  const src = join(root, 'src');
  await mkdir(src);
  return { ...server, root, configDir, src, env: { VALISE_CONFIG_DIR: configDir } };
}

const pattern = (n: number, seed: number) => Buffer.from(new Uint8Array(n).map((_, i) => (i * 13 + seed) % 256));

/** Answers the e-mailed-code prompt of a receiving child with the code the double "mailed". */
const answerCode = (double: InMemoryValiseServer, email: string) => async (child: { stdin: NodeJS.WritableStream }) => {
  const code = await waitFor(() => double.outbox.get(email));
  double.outbox.delete(email);
  child.stdin.write(`${code}\n`);
  child.stdin.end();
};

test('valise send, then valise receive (twice, then exhausted), through HTTP', async (t) => {
  const w = await workspace(t);
  const report = pattern(50_000, 1);
  const big = pattern(9 * 1024 * 1024, 2);
  await writeFile(join(w.src, 'report.pdf'), report);
  await writeFile(join(w.src, 'big.bin'), big);

  const send = await runCli(['--json', 'send', join(w.src, 'report.pdf'), join(w.src, 'big.bin'), '--to', 'lab@x.example',
    '--max-downloads', '2', '--expires', '2d', '--message', 'Bonjour\u001b[31m'], { env: w.env });
  assert.equal(send.code, 0, send.stderr);
  const sent = JSON.parse(send.stdout) as { transferId: string; link: string; expiresAt: number; recipients: string[]; maxDownloads: number };
  assert.deepEqual(Object.keys(sent).sort(), ['expiresAt', 'link', 'maxDownloads', 'recipients', 'transferId']);
  assert.equal(sent.maxDownloads, 2);
  assert.deepEqual(sent.recipients, ['lab@x.example']);
  assert.match(sent.link, new RegExp(`/t/${sent.transferId}#[A-Za-z0-9_-]{43}$`));
  assert.ok(Math.abs(sent.expiresAt - (Date.now() + 2 * 86_400_000)) < 60_000);
  assert.deepEqual(await readdir(join(w.configDir, 'uploads')), [], 'resume state deleted after success');

  const out = join(w.root, 'out');
  const recv = await runCli(['--json', 'receive', sent.link, '--out', out, '--email', 'lab@x.example'], { env: w.env, drive: answerCode(w.double, 'lab@x.example') });
  assert.equal(recv.code, 0, recv.stderr);
  const got = JSON.parse(recv.stdout) as { files: { name: string; path: string; size: number }[]; message: string };
  assert.deepEqual(got.files.map((f) => f.name), ['report.pdf', 'big.bin']);
  assert.equal(got.message, 'Bonjour[31m', 'control characters of the sender are not printed');
  assert.deepEqual(await readFile(join(out, 'report.pdf')), report);
  assert.deepEqual(await readFile(join(out, 'big.bin')), big);

  const again = await runCli(['receive', sent.link, '--out', out, '--email', 'lab@x.example'], { env: w.env, drive: answerCode(w.double, 'lab@x.example') });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(again.stdout.trim().split('\n'), [join(out, 'report (1).pdf'), join(out, 'big (1).bin')]);
  assert.deepEqual((await readdir(out)).sort(), ['big (1).bin', 'big.bin', 'report (1).pdf', 'report.pdf']);

  const exhausted = await runCli(['receive', sent.link, '--out', out, '--email', 'lab@x.example'], { env: w.env, drive: answerCode(w.double, 'lab@x.example') });
  assert.equal(exhausted.code, 4);
  assert.match(exhausted.stderr, /^valise: this transfer has reached its maximum number of downloads$/m);

  const incomplete = await runCli(['receive', sent.link.split('#')[0]!, '--out', out], { env: w.env });
  assert.equal(incomplete.code, 2);
  assert.match(incomplete.stderr, /^valise: the link is incomplete: the part after # is missing$/m);
  assert.ok(!`${send.stderr}${recv.stderr}${again.stderr}${exhausted.stderr}`.includes(sent.link.split('#')[1]!), 'the secret is never on stderr');
});

test('valise list and revoke', async (t) => {
  const w = await workspace(t);
  await writeFile(join(w.src, 'a.txt'), 'hello');
  const send = await runCli(['send', join(w.src, 'a.txt'), '--to', 'r@x.example'], { env: w.env });
  assert.equal(send.code, 0, send.stderr);
  const transferId = /\/t\/([A-Za-z0-9_-]{22})#/.exec(send.stdout)![1]!;
  const list = await runCli(['list'], { env: w.env });
  assert.equal(list.code, 0, list.stderr);
  const [header, row] = list.stdout.trim().split('\n');
  assert.match(header!, /^ID\s+STATE\s+CREATED \(UTC\)\s+EXPIRES \(UTC\)\s+DOWNLOADS\s+RECIPIENTS$/);
  assert.match(row!, new RegExp(`^${transferId}\\s+ready\\s+\\d{4}-.*\\s0/5\\s+r@x\\.example$`));
  const listJson = await runCli(['list', '--json'], { env: w.env });
  assert.equal((JSON.parse(listJson.stdout) as { transfers: { transferId: string }[] }).transfers[0]!.transferId, transferId);
  const revoke = await runCli(['revoke', transferId], { env: w.env });
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.equal(w.double.transfers.get(transferId)!.state, 'closed');
  const opened = await runCli(['receive', send.stdout.trim(), '--out', join(w.root, 'o'), '--email', 'r@x.example'], { env: w.env });
  assert.equal(opened.code, 4, opened.stderr);
});

test('Ctrl-C during receive exits 130 and removes the temporary file', async (t) => {
  const w = await workspace(t);
  await writeFile(join(w.src, 'a.bin'), pattern(100_000, 3));
  const send = await runCli(['send', join(w.src, 'a.bin'), '--to', 'r@x.example'], { env: w.env });
  assert.equal(send.code, 0, send.stderr);
  const out = join(w.root, 'out');
  await mkdir(out);
  let stalled = false;
  w.double.onRequest = (method, path) => {
    if (method === 'GET' && path.includes('/parts/')) {
      stalled = true;
      return new Promise(() => undefined); // never answers
    }
  };
  const run = await runCli(['receive', send.stdout.trim(), '--out', out, '--email', 'r@x.example'], {
    env: w.env,
    drive: async (child) => {
      await answerCode(w.double, 'r@x.example')(child);
      await waitFor(() => (stalled ? true : undefined));
      await waitFor(async () => ((await readdir(out)).some((n) => n.startsWith(TEMP_PREFIX)) ? true : undefined));
      child.kill('SIGINT');
    },
  });
  assert.equal(run.code, 130, run.stderr);
  assert.match(run.stderr, /^valise: interrupted$/m);
  assert.deepEqual(await readdir(out), []);
});

test('an interrupted send resumes: same transfer, missing parts only, 0600 resume state meanwhile', async (t) => {
  const w = await workspace(t);
  const data = pattern(3 * 8 * 1024 * 1024 + 7, 4); // 4 parts
  await writeFile(join(w.src, 'scan.bin'), data);
  let puts = 0;
  w.double.onRequest = (method) => {
    if (method === 'PUT' && ++puts > 2) return new Promise(() => undefined); // the network dies after two parts
  };
  const first = await runCli(['send', join(w.src, 'scan.bin'), '--to', 'r@x.example'], {
    env: w.env,
    drive: async (child) => {
      await waitFor(() => (puts > 2 ? true : undefined));
      child.kill('SIGINT');
    },
  });
  assert.equal(first.code, 130, first.stderr);
  const states = await readdir(join(w.configDir, 'uploads'));
  assert.equal(states.length, 1);
  if (process.platform !== 'win32') assert.equal((await stat(join(w.configDir, 'uploads', states[0]!))).mode & 0o777, 0o600);
  const [transferId] = [...w.double.transfers.keys()];

  w.double.onRequest = undefined;
  const putsBefore = w.double.log.filter((l) => l.startsWith('PUT')).length;
  const second = await runCli(['send', join(w.src, 'scan.bin'), '--to', 'r@x.example'], { env: w.env });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /Resuming an interrupted send \(\d of 4 parts already on the server\)/);
  assert.ok(second.stdout.includes(`/t/${transferId}#`));
  assert.ok(w.double.log.filter((l) => l.startsWith('PUT')).length - putsBefore <= 2);
  assert.deepEqual(await readdir(join(w.configDir, 'uploads')), []);

  const out = join(w.root, 'out');
  const recv = await runCli(['receive', second.stdout.trim(), '--out', out, '--email', 'r@x.example'], { env: w.env, drive: answerCode(w.double, 'r@x.example') });
  assert.equal(recv.code, 0, recv.stderr);
  assert.deepEqual(await readFile(join(out, 'scan.bin')), data);
});

test('a signed-in member who is a recipient receives without a code; a non-recipient falls back to the code', async (t) => {
  const w = await workspace(t);
  await writeFile(join(w.src, 'm.txt'), 'for me');
  const mine = await runCli(['send', join(w.src, 'm.txt'), '--to', w.double.memberEmail], { env: w.env });
  assert.equal(mine.code, 0, mine.stderr);
  const out = join(w.root, 'out');
  const recv = await runCli(['receive', mine.stdout.trim(), '--out', out], { env: w.env });
  assert.equal(recv.code, 0, recv.stderr);
  assert.equal(await readFile(join(out, 'm.txt'), 'utf8'), 'for me');

  const theirs = await runCli(['send', join(w.src, 'm.txt'), '--to', 'r@x.example'], { env: w.env });
  const fallback = await runCli(['receive', theirs.stdout.trim(), '--out', out], {
    env: w.env,
    drive: async (child) => {
      child.stdin.write('r@x.example\n');
      await answerCode(w.double, 'r@x.example')(child);
    },
  });
  assert.equal(fallback.code, 0, fallback.stderr);
  assert.match(fallback.stderr, /not a recipient here: continuing with an e-mailed code/);
  assert.equal(await readFile(join(out, 'm (1).txt'), 'utf8'), 'for me');
});

test('valise logout revokes the token and deletes the credentials; then commands ask to sign in (exit 3)', async (t) => {
  const w = await workspace(t);
  const out = await runCli(['logout'], { env: w.env });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /Signed out of /);
  assert.ok(w.double.revokedTokens.has(w.double.memberToken));
  assert.deepEqual((await readdir(w.configDir)).filter((n) => n === 'credentials.json'), []);
  const list = await runCli(['list'], { env: w.env });
  assert.equal(list.code, 3);
  assert.match(list.stderr, /^valise: not signed in: run `valise login <server address>` first$/m);
  const again = await runCli(['logout'], { env: w.env });
  assert.equal(again.code, 0);
});
