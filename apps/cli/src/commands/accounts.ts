// `valise enroll`, `valise login`, `valise logout`: the member's account on one server.
import { hostname } from 'node:os';
import QRCode from 'qrcode';
import { isApiError, normalizeServerUrl, parseEnrollmentLink } from '@valise/client';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@valise/protocol';
import type { CliContext } from '../context.js';
import { deleteCredentials, loadCredentials, saveCredentials } from '../credentials.js';
import { CliError, EXIT } from '../exit-codes.js';

const MAX_TRIES = 3;

/** Asks until the answer passes `check` (which returns an error message or undefined); once without a TTY. */
async function askValid(ctx: CliContext, ask: () => Promise<string>, check: (answer: string) => string | undefined): Promise<string> {
  for (let i = 1; ; i++) {
    const answer = await ask();
    const problem = check(answer);
    if (problem === undefined) return answer;
    if (!ctx.prompter.interactive || i >= MAX_TRIES) throw new CliError(EXIT.usage, problem);
    ctx.note(problem);
  }
}

export const normalizeTotp = (s: string): string => s.replace(/[\s-]/gu, '');

export function askTotp(ctx: CliContext, question = 'Code from your authenticator app (6 digits): '): Promise<string> {
  return askValid(ctx, async () => normalizeTotp(await ctx.prompter.ask(question)), (c) =>
    /^[0-9]{6}$/u.test(c) ? undefined : 'the authenticator code has 6 digits');
}

function serverUrlArg(input: string): string {
  try {
    return normalizeServerUrl(input);
  } catch (e) {
    throw new CliError(EXIT.usage, (e as Error).message);
  }
}

export async function runEnroll(ctx: CliContext, cmd: { link: string }): Promise<void> {
  const { serverUrl, token } = parseEnrollmentLink(cmd.link);
  const api = ctx.api(serverUrl);
  const start = await api.enrollStart({ token }, { signal: ctx.signal });
  // The first administrator's invitation names no address: it is chosen here.
  const email = start.email ?? (await askValid(ctx, async () => (await ctx.prompter.ask('Your e-mail address: ')).trim(), (e) =>
    /^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(e) ? undefined : 'that is not an e-mail address'));
  ctx.note(`Enrolling ${email} on ${serverUrl}.`);
  ctx.note('1. Add Valise to your authenticator app: scan this QR code, or enter the key below.');
  ctx.note(await QRCode.toString(start.otpauthUri, { type: 'terminal', small: true }));
  ctx.note(`   Key: ${start.totpSecret}`);
  ctx.note(`   (${start.otpauthUri})`);
  ctx.note(`2. Choose a password (at least ${PASSWORD_MIN_LENGTH} characters).`);

  let password = '';
  for (let i = 1; ; i++) {
    password = await askValid(ctx, () => ctx.prompter.askSecret('New password: '), (p) =>
      p.length < PASSWORD_MIN_LENGTH ? `the password must have at least ${PASSWORD_MIN_LENGTH} characters`
        : p.length > PASSWORD_MAX_LENGTH ? 'the password is too long' : undefined);
    const again = await ctx.prompter.askSecret('Repeat the password: ');
    if (again === password) break;
    if (!ctx.prompter.interactive || i >= MAX_TRIES) throw new CliError(EXIT.usage, 'the two passwords differ');
    ctx.note('The two passwords differ; try again.');
  }

  for (let i = 1; ; i++) {
    const totpCode = await askTotp(ctx, '3. Code shown by your authenticator app (6 digits): ');
    try {
      await api.enrollComplete({ token, password, totpCode, ...(start.email === null ? { email } : {}) }, { signal: ctx.signal });
      break;
    } catch (e) {
      // A wrong code (clock skew, typo) leaves the enrollment open: ask again.
      if (!isApiError(e, 'totp_invalid') || i >= MAX_TRIES) throw e;
      ctx.note('That code is not right; wait for the next one and try again.');
    }
  }
  ctx.result({ email, serverUrl }, [
    `Enrolled ${email}. Sign in on this computer with:`,
    `  valise login ${serverUrl} --email ${email}`,
  ]);
}

export async function runLogin(ctx: CliContext, cmd: { serverUrl: string; email: string | undefined }): Promise<void> {
  const serverUrl = serverUrlArg(cmd.serverUrl);
  const email = cmd.email ?? (await askValid(ctx, async () => (await ctx.prompter.ask('E-mail address: ')).trim(), (e) =>
    /^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(e) ? undefined : 'that is not an e-mail address'));
  const password = await ctx.prompter.askSecret('Password: ');
  if (password === '') throw new CliError(EXIT.usage, 'no password given');
  const totpCode = await askTotp(ctx);
  const api = ctx.api(serverUrl);
  const res = await api.login({ email, password, totpCode, client: 'cli', label: `valise CLI on ${hostname()}`.slice(0, 100) }, { signal: ctx.signal });
  if (!res.token) throw new CliError(EXIT.unexpected, 'the server did not issue an API token');
  // Pinned now: from here on, member keys are checked against this organisation key (docs/format.md §11.3).
  const { publicKey: orgPublicKey } = await api.getOrgKey({ signal: ctx.signal });
  await saveCredentials(ctx.config.configDir, {
    v: 1,
    serverUrl,
    email: res.member.email,
    memberId: res.member.id,
    isAdmin: res.member.isAdmin,
    token: res.token,
    expiresAt: res.expiresAt,
    orgPublicKey,
  });
  ctx.result(
    { serverUrl, email: res.member.email, isAdmin: res.member.isAdmin, expiresAt: res.expiresAt },
    `Signed in to ${serverUrl} as ${res.member.email}.`,
  );
}

export async function runLogout(ctx: CliContext): Promise<number> {
  const credentials = await loadCredentials(ctx.config.configDir);
  if (!credentials) {
    ctx.result({ signedOut: true, revoked: false }, 'Not signed in.');
    return EXIT.ok;
  }
  let revoked = true;
  let failure: unknown;
  try {
    await ctx.api(credentials.serverUrl, credentials.token).logout({ signal: ctx.signal });
  } catch (e) {
    // 401: the token was already revoked or expired; anything else: the token may still be valid.
    if (!isApiError(e) || e.status !== 401) {
      revoked = false;
      failure = e;
    }
  }
  await deleteCredentials(ctx.config.configDir);
  if (!revoked) {
    ctx.note('valise: signed out on this computer, but the server could not revoke the token; it expires by itself, or revoke it from the web app');
    ctx.result({ signedOut: true, revoked: false }, 'Signed out (token not revoked).');
    return isApiError(failure) && failure.code === 'network_error' ? EXIT.unavailable : EXIT.unexpected;
  }
  ctx.result({ signedOut: true, revoked: true }, `Signed out of ${credentials.serverUrl}.`);
  return EXIT.ok;
}
