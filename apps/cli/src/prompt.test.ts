// Drives the real `valise` command in a child process through a pipe: one shared line reader must answer
// several prompts in order, secrets must never be echoed, and an open stdin must not keep the process alive.
// A small HTTP listener stands in for the server's two account routes and records what the CLI sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './testing/run-cli.js';

const TOKEN = 'T'.repeat(43);

const cli = (args: string[], input: string, env: Record<string, string>, opts: { keepStdinOpen?: boolean } = {}) =>
  runCli(args, { input, env, ...opts });

async function withServer(handler: (path: string, body: Record<string, unknown>, res: ServerResponse) => void) {
  const requests: { path: string; body: Record<string, unknown>; auth: string | undefined }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      const body = data ? (JSON.parse(data) as Record<string, unknown>) : {};
      requests.push({ path: req.url ?? '', body, auth: req.headers.authorization });
      handler(req.url ?? '', body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const json = (res: ServerResponse, status: number, value: unknown, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(value));
};

const ORG_KEY = 'A'.repeat(43); // a well-formed 32-byte key (all zeros): login only stores it

test('login reads e-mail, password and code from ONE piped stdin, and stores a 0600 token', async (t) => {
  const server = await withServer((path, _body, res) => {
    if (path === '/api/v1/auth/login') json(res, 200, { member: { id: 'AAECAwQFBgcICQoLDA0ODw', email: 'dr@h.example', isAdmin: false }, token: TOKEN, expiresAt: null });
    else if (path === '/api/v1/org-key') json(res, 200, { publicKey: ORG_KEY });
    else json(res, 404, { code: 'not_found' });
  });
  const configDir = await mkdtemp(join(tmpdir(), 'valise-cli-'));
  t.after(async () => {
    await server.close();
    await rm(configDir, { recursive: true, force: true });
  });

  const run = await cli(['login', server.url], 'dr@h.example\ncorrect horse battery\n123 456\n', { VALISE_CONFIG_DIR: configDir }, { keepStdinOpen: true });
  assert.equal(run.code, 0, run.stderr);
  // After signing in, the organisation key is fetched and pinned (docs/format.md §11.3).
  assert.deepEqual(server.requests.map((r) => r.path), ['/api/v1/auth/login', '/api/v1/org-key']);
  const body = server.requests[0]!.body;
  assert.equal(body.email, 'dr@h.example');
  assert.equal(body.password, 'correct horse battery');
  assert.equal(body.totpCode, '123456');
  assert.equal(body.client, 'cli');
  assert.match(run.stderr, /E-mail address: [\s\S]*Password: [\s\S]*authenticator/);
  assert.ok(!run.stderr.includes('correct horse') && !run.stdout.includes('correct horse'), 'the password is never echoed');
  assert.match(run.stdout, /Signed in to .* as dr@h\.example/);

  const file = join(configDir, 'credentials.json');
  assert.equal(JSON.parse(await readFile(file, 'utf8')).token, TOKEN);
  assert.equal(JSON.parse(await readFile(file, 'utf8')).orgPublicKey, ORG_KEY);
  if (process.platform !== 'win32') {
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(configDir)).mode & 0o777, 0o700);
  }
  assert.ok(!run.stdout.includes(TOKEN) && !run.stderr.includes(TOKEN), 'the token is never printed');
});

test('a prompt without an answer on stdin is a usage error (exit 2), and nothing is sent', async (t) => {
  const server = await withServer((_p, _b, res) => json(res, 500, {}));
  const configDir = await mkdtemp(join(tmpdir(), 'valise-cli-'));
  t.after(async () => {
    await server.close();
    await rm(configDir, { recursive: true, force: true });
  });
  const run = await cli(['login', server.url, '--email', 'dr@h.example'], 'only-a-password\n', { VALISE_CONFIG_DIR: configDir });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^valise: no answer on standard input for "Code from your authenticator app \(6 digits\)"$/m);
  assert.equal(server.requests.length, 0);
  assert.ok(!run.stderr.includes('only-a-password'));
});

test('a wrong password is exit 3 with one line and no stack; --json adds a JSON error on stdout', async (t) => {
  const server = await withServer((_p, _b, res) =>
    json(res, 401, { type: 'urn:valise:problem:invalid_credentials', title: '\u001b[2Jevil', status: 401, code: 'invalid_credentials' }, 'application/problem+json'));
  const configDir = await mkdtemp(join(tmpdir(), 'valise-cli-'));
  t.after(async () => {
    await server.close();
    await rm(configDir, { recursive: true, force: true });
  });
  const run = await cli(['--json', 'login', server.url], 'dr@h.example\nwrong password!\n123456\n', { VALISE_CONFIG_DIR: configDir });
  assert.equal(run.code, 3);
  assert.match(run.stderr, /^valise: the e-mail address, password or authenticator code is wrong$/m);
  assert.doesNotMatch(run.stderr, /\bat .*\.js:\d+/, 'no stack trace');
  assert.ok(!run.stderr.includes('\u001b[2J'), 'server text is not printed verbatim');
  assert.deepEqual(JSON.parse(run.stdout), { error: { message: 'the e-mail address, password or authenticator code is wrong', exitCode: 3, code: 'invalid_credentials' } });
});

test('enroll asks the password twice and the TOTP code, in order, from a pipe', async (t) => {
  const token = 'E'.repeat(43);
  const server = await withServer((path, _body, res) => {
    if (path === '/api/v1/enroll/start') {
      json(res, 200, { email: 'new@h.example', totpSecret: 'JBSWY3DPEHPK3PXP', otpauthUri: 'otpauth://totp/Valise:new%40h.example?secret=JBSWY3DPEHPK3PXP&issuer=Valise' });
    } else if (path === '/api/v1/enroll/complete') {
      res.writeHead(204).end();
    } else json(res, 404, { code: 'not_found' });
  });
  const configDir = await mkdtemp(join(tmpdir(), 'valise-cli-'));
  t.after(async () => {
    await server.close();
    await rm(configDir, { recursive: true, force: true });
  });
  const run = await cli(['enroll', `${server.url}/enroll#${token}`], 'a long enough password\na long enough password\n654321\n', { VALISE_CONFIG_DIR: configDir });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(server.requests.map((r) => r.path), ['/api/v1/enroll/start', '/api/v1/enroll/complete']);
  assert.deepEqual(server.requests[0]!.body, { token });
  assert.deepEqual(server.requests[1]!.body, { token, password: 'a long enough password', totpCode: '654321' });
  assert.match(run.stderr, /JBSWY3DPEHPK3PXP/);
  assert.match(run.stderr, /[▀▄█]/u, 'a terminal QR code is shown');
  assert.match(run.stdout, /valise login .* --email new@h\.example/);

  const short = await cli(['enroll', `${server.url}/enroll#${token}`], 'too short\n', { VALISE_CONFIG_DIR: configDir });
  assert.equal(short.code, 2);
  assert.match(short.stderr, /at least 12 characters/);
  const differ = await cli(['enroll', `${server.url}/enroll#${token}`], 'a long enough password\nanother long password\n', { VALISE_CONFIG_DIR: configDir });
  assert.equal(differ.code, 2);
  assert.match(differ.stderr, /the two passwords differ/);
});

test('the first administrator\'s enrollment (no address in the invitation) asks the e-mail address first', async (t) => {
  const token = 'F'.repeat(43);
  const server = await withServer((path, _body, res) => {
    if (path === '/api/v1/enroll/start') json(res, 200, { email: null, totpSecret: 'JBSWY3DPEHPK3PXP', otpauthUri: 'otpauth://totp/Valise?secret=JBSWY3DPEHPK3PXP' });
    else res.writeHead(204).end();
  });
  const configDir = await mkdtemp(join(tmpdir(), 'valise-cli-'));
  t.after(async () => {
    await server.close();
    await rm(configDir, { recursive: true, force: true });
  });
  const run = await cli(['--json', 'enroll', `${server.url}/enroll#${token}`], 'admin@h.example\nthe first admin password\nthe first admin password\n111222\n', { VALISE_CONFIG_DIR: configDir });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(server.requests[1]!.body, { token, email: 'admin@h.example', password: 'the first admin password', totpCode: '111222' });
  assert.deepEqual(JSON.parse(run.stdout), { email: 'admin@h.example', serverUrl: server.url });
});

test('an unreachable server is exit 6', async (t) => {
  const server = await withServer(() => undefined);
  await server.close(); // nothing listens on this port any more
  const configDir = await mkdtemp(join(tmpdir(), 'valise-cli-'));
  t.after(() => rm(configDir, { recursive: true, force: true }));
  const run = await cli(['login', server.url, '--email', 'dr@h.example'], 'password password\n123456\n', { VALISE_CONFIG_DIR: configDir });
  assert.equal(run.code, 6, run.stderr);
  assert.match(run.stderr, /^valise: the server could not be reached/m);
});
