import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availableDialects } from '../testing/databases.js';
import { ManualClock } from '../testing/manual-clock.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { createDomain } from '../domain.js';
import { accountServiceFor } from './invite.js';
import { totpCodeAt } from './totp.js';

const PASSWORD = 'a long enough passphrase';
const TOTP_STEP_MS = 30_000;

async function post(server: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** Enrolls through the HTTP API from an enrollment link; returns the TOTP secret the member would scan. */
async function enroll(server: TestServer, link: string, email: string | undefined, clock: ManualClock): Promise<string> {
  const token = new URL(link).hash.slice(1);
  const start = await post(server, '/enroll/start', { token });
  assert.equal(start.status, 200);
  const done = await post(server, '/enroll/complete', {
    token, password: PASSWORD, totpCode: totpCodeAt(start.body.totpSecret, clock.now()), ...(email ? { email } : {}),
  });
  assert.equal(done.status, 201, JSON.stringify(done.body));
  return start.body.totpSecret;
}

describe('accounts over HTTP', async () => {
  const { dialects, failure } = await availableDialects();
  if (failure) it('PostgreSQL is reachable', () => assert.fail(failure));

  for (const dialect of dialects) {
    describe(dialect, () => {
      it('bootstraps the first administrator once, who gives their address while enrolling', async () => {
        const clock = new ManualClock(Date.now());
        const server = await startTestServer({ dialect, clock, domain: createDomain });
        try {
          const accounts = accountServiceFor(server.ctx);
          const first = await accounts.bootstrapFirstAdmin();
          assert.ok(first);
          assert.match(first.link, new RegExp(`^${server.url}/enroll#[A-Za-z0-9_-]{43}$`));
          const token = new URL(first.link).hash.slice(1);
          const start = await post(server, '/enroll/start', { token });
          assert.equal(start.body.email, null);
          assert.match(start.body.otpauthUri, /^otpauth:\/\/totp\//);

          const noEmail = await post(server, '/enroll/complete', { token, password: PASSWORD, totpCode: totpCodeAt(start.body.totpSecret, clock.now()) });
          assert.equal(noEmail.status, 400);
          assert.equal(noEmail.body.code, 'validation_failed');
          const weak = await post(server, '/enroll/complete', { token, email: 'admin@hospital.example', password: 'short', totpCode: totpCodeAt(start.body.totpSecret, clock.now()) });
          assert.equal(weak.status, 400);
          assert.equal(weak.body.code, 'validation_failed', 'the schema refuses < 12 characters');
          const wrongCode = await post(server, '/enroll/complete', { token, email: 'admin@hospital.example', password: PASSWORD, totpCode: totpCodeAt(start.body.totpSecret, clock.now() + 10 * TOTP_STEP_MS) });
          assert.equal(wrongCode.body.code, 'totp_invalid');

          const done = await post(server, '/enroll/complete', { token, email: 'Admin@Hospital.example', password: PASSWORD, totpCode: totpCodeAt(start.body.totpSecret, clock.now()) });
          assert.equal(done.status, 201);
          assert.deepEqual({ email: done.body.email, isAdmin: done.body.isAdmin }, { email: 'admin@hospital.example', isAdmin: true });

          const reused = await post(server, '/enroll/start', { token });
          assert.equal(reused.status, 410);
          assert.equal(reused.body.code, 'enrollment_invalid');
          assert.equal(await accounts.bootstrapFirstAdmin(), null, 'a second start prints no new link');
          await assert.rejects(accounts.invite('admin@hospital.example', { admin: false, invitedBy: null }), /already exists/);
        } finally {
          await server.close();
        }
      });

      it('logs in with password + TOTP, refuses replayed codes, and logs out (CLI token)', async () => {
        const clock = new ManualClock(Date.now());
        const server = await startTestServer({ dialect, clock, domain: createDomain });
        try {
          const { link } = await accountServiceFor(server.ctx).invite('nurse@hospital.example', { admin: false, invitedBy: null });
          const secret = await enroll(server, link, undefined, clock);
          clock.advance(TOTP_STEP_MS);
          const code = totpCodeAt(secret, clock.now());
          const login = await post(server, '/auth/login', { email: 'NURSE@hospital.example', password: PASSWORD, totpCode: code, client: 'cli', label: 'laptop' });
          assert.equal(login.status, 200, JSON.stringify(login.body));
          assert.match(login.body.token, /^[A-Za-z0-9_-]{43}$/);
          assert.equal(login.body.member.isAdmin, false);

          const replay = await post(server, '/auth/login', { email: 'nurse@hospital.example', password: PASSWORD, totpCode: code, client: 'cli' });
          assert.equal(replay.status, 401, 'a TOTP code works once');

          const auth = { authorization: `Bearer ${login.body.token}` };
          const me = await fetch(`${server.url}/api/v1/me`, { headers: auth });
          assert.equal(me.status, 200);
          assert.equal((await me.json()).email, 'nurse@hospital.example');

          const stored = await server.ctx.database.db.selectFrom('sessions').select('token_hash').execute();
          assert.ok(stored.every((s) => !Buffer.from(s.token_hash).toString('base64url').includes(login.body.token)), 'tokens are stored hashed');

          assert.equal((await post(server, '/auth/logout', {}, auth)).status, 204);
          assert.equal((await fetch(`${server.url}/api/v1/me`, { headers: auth })).status, 401, 'logout revokes the token');
        } finally {
          await server.close();
        }
      });

      it('web sessions use a Secure, HttpOnly, SameSite=Strict cookie and refuse cross-site state changes', async () => {
        const clock = new ManualClock(Date.now());
        const server = await startTestServer({ dialect, clock, domain: createDomain });
        try {
          const { link } = await accountServiceFor(server.ctx).invite('lab@hospital.example', { admin: false, invitedBy: null });
          const secret = await enroll(server, link, undefined, clock);
          clock.advance(TOTP_STEP_MS);
          const login = await post(server, '/auth/login', { email: 'lab@hospital.example', password: PASSWORD, totpCode: totpCodeAt(secret, clock.now()), client: 'web' });
          assert.equal(login.status, 200);
          assert.equal(login.body.token, undefined, 'the web app never sees its session token');
          const setCookie = login.headers.get('set-cookie') ?? '';
          assert.match(setCookie, /^valise_session=[A-Za-z0-9_-]{43};/);
          for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) assert.ok(setCookie.includes(attribute), attribute);
          const cookie = setCookie.split(';')[0]!;

          assert.equal((await fetch(`${server.url}/api/v1/me`, { headers: { cookie } })).status, 200);
          const crossSite = await post(server, '/auth/logout', {}, { cookie, origin: 'https://evil.example' });
          assert.equal(crossSite.status, 403);
          assert.equal((await fetch(`${server.url}/api/v1/me`, { headers: { cookie } })).status, 200, 'still signed in');
          assert.equal((await post(server, '/auth/logout', {}, { cookie, origin: server.url })).status, 204);
          assert.equal((await fetch(`${server.url}/api/v1/me`, { headers: { cookie } })).status, 401);
        } finally {
          await server.close();
        }
      });

      it('throttles failed logins per account with growing delays, records the lockout, and refuses unknown fields', async () => {
        const clock = new ManualClock(Date.now());
        const server = await startTestServer({ dialect, clock, domain: createDomain });
        try {
          const { link } = await accountServiceFor(server.ctx).invite('doctor@hospital.example', { admin: false, invitedBy: null });
          const secret = await enroll(server, link, undefined, clock);
          clock.advance(TOTP_STEP_MS); // the enrollment used the current step
          const attempt = (password: string) => post(server, '/auth/login', { email: 'doctor@hospital.example', password, totpCode: totpCodeAt(secret, clock.now()), client: 'cli' });

          for (let i = 0; i < 3; i++) assert.equal((await attempt('wrong password!')).status, 401);
          const locked = await attempt(PASSWORD);
          assert.equal(locked.status, 429, 'even the right password waits while locked');
          assert.equal(locked.body.code, 'rate_limited');
          const firstWait = Number(locked.headers.get('retry-after'));
          assert.ok(firstWait >= 1 && firstWait <= 2, `Retry-After ${firstWait}`);

          clock.advance(2_000);
          assert.equal((await attempt('wrong again!!!')).status, 401);
          const longer = await attempt(PASSWORD);
          assert.equal(longer.status, 429);
          assert.ok(Number(longer.headers.get('retry-after')) > firstWait, 'the wait grows');

          clock.advance(5_000);
          assert.equal((await attempt(PASSWORD)).status, 200, 'after the wait the right credentials work');

          const lockouts = await server.ctx.database.db.selectFrom('audit_log').select(['action', 'target']).where('action', '=', 'account.lockout').execute();
          assert.ok(lockouts.some((l) => l.target === 'doctor@hospital.example'));

          const unknown = await post(server, '/auth/login', { email: 'doctor@hospital.example', password: PASSWORD, totpCode: '123456', client: 'cli', admin: true });
          assert.equal(unknown.status, 400);
          assert.equal(unknown.body.code, 'validation_failed');
          assert.equal(unknown.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        } finally {
          await server.close();
        }
      });
    });
  }
});
