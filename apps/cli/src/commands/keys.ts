// `valise keys …` and `valise safety-number`: the member's own keys (made here, stored on the server only sealed)
// and checking a colleague's. docs/format.md §11.
import {
  KEY_LOSS_WARNING, MemberKeyError, type UnlockedAccount, changePassphrase, createMemberKeys, replaceRecoveryCode, resolveContact,
  safetyNumberWith, unlockMemberKeys,
} from '@valise/client';
import { MIN_PASSPHRASE_LENGTH, fingerprintText, fromBase64Url, memberKeyFingerprint, parseMemberKeyRecord, toBase64Url } from '@valise/crypto';
import type { CliContext } from '../context.js';
import { type Credentials, requireCredentials } from '../credentials.js';
import { fileContactPins } from '../contact-pins.js';
import { CliError, EXIT } from '../exit-codes.js';
import { pinnedOrgKey } from '../org-pin.js';

/** Asks a new passphrase twice (scripts give two lines); at least 12 characters. */
export async function askNewPassphrase(ctx: CliContext, what = 'passphrase'): Promise<string> {
  for (;;) {
    const first = await ctx.prompter.askSecret(`New ${what} (at least ${MIN_PASSPHRASE_LENGTH} characters): `);
    if ([...first.normalize('NFC')].length < MIN_PASSPHRASE_LENGTH) {
      if (!ctx.prompter.interactive) throw new CliError(EXIT.usage, `the ${what} must have at least ${MIN_PASSPHRASE_LENGTH} characters`);
      ctx.note(`Too short: use at least ${MIN_PASSPHRASE_LENGTH} characters (a few words are easy to remember).`);
      continue;
    }
    const again = await ctx.prompter.askSecret(`The same ${what} again: `);
    if (again === first) return first;
    if (!ctx.prompter.interactive) throw new CliError(EXIT.usage, `the two ${what}s differ`);
    ctx.note('The two differ; try again.');
  }
}

const me = (c: Credentials) => ({ memberId: c.memberId, email: c.email });

/** Unlocks with the passphrase, or with the recovery code when the passphrase is forgotten. */
export async function unlockAccount(ctx: CliContext, c: Credentials, options: { recovery?: boolean } = {}): Promise<UnlockedAccount> {
  const api = ctx.api(c.serverUrl, c.token);
  const orgKey = await pinnedOrgKey(ctx, c, api);
  const secret = options.recovery
    ? { kind: 'recovery' as const, code: await ctx.prompter.askSecret('Recovery code: ') }
    : { kind: 'passphrase' as const, passphrase: await ctx.prompter.askSecret('Key passphrase: ') };
  try {
    return await unlockMemberKeys(api, me(c), secret, orgKey);
  } catch (e) {
    if (e instanceof MemberKeyError && e.code === 'no_such_method') throw new CliError(EXIT.usage, e.message);
    if ((e as { code?: string }).code === 'commitment_mismatch') {
      throw new CliError(EXIT.auth, options.recovery ? 'that recovery code does not open your keys' : 'wrong key passphrase');
    }
    throw e;
  }
}

export async function runKeysInit(ctx: CliContext): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const api = ctx.api(c.serverUrl, c.token);
  await pinnedOrgKey(ctx, c, api);
  ctx.note(KEY_LOSS_WARNING);
  ctx.note('This passphrase is not your sign-in password: it never leaves this computer.');
  const passphrase = await askNewPassphrase(ctx, 'key passphrase');
  const { recoveryCode, fingerprint } = await createMemberKeys(api, me(c), passphrase);
  ctx.result({ fingerprint: toBase64Url(fingerprint), recoveryCode }, [
    `Keys created for ${c.email}. Fingerprint: ${fingerprintText(fingerprint)}`,
    '',
    'Your recovery code — shown only this once. Write it down and keep it apart from this computer:',
    '',
    `    ${recoveryCode}`,
    '',
    'Your key now waits for your organisation\'s signature (an administrator runs `valise admin sign-members`).',
  ]);
  if (ctx.prompter.interactive && !ctx.json) {
    for (;;) {
      const typed = (await ctx.prompter.ask('To confirm you wrote it down, type its last four characters: ')).trim().toUpperCase();
      if (typed === recoveryCode.slice(-4)) break;
      ctx.note('That is not it; look at what you wrote down.');
    }
  }
}

export async function runKeysStatus(ctx: CliContext): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const api = ctx.api(c.serverUrl, c.token);
  const orgKey = await pinnedOrgKey(ctx, c, api);
  const stored = await api.getMyKeys({ signal: ctx.signal });
  const record = parseMemberKeyRecord(stored.record);
  const fingerprint = await memberKeyFingerprint(record);
  const status = stored.certificate === null ? 'waiting for the organisation\'s signature' : orgKey ? 'signed by the organisation' : 'signed (no organisation key pinned)';
  const methods = stored.wraps.map((w) => w.kind);
  ctx.result({ email: record.email, fingerprint: toBase64Url(fingerprint), kem: record.kem, sig: record.sig, certified: stored.certificate !== null, unlockMethods: methods }, [
    `Keys of ${record.email} (${record.kem}, ${record.sig}), created ${record.createdAt}`,
    `Fingerprint: ${fingerprintText(fingerprint)}`,
    `Status: ${status}`,
    `Unlock methods: ${methods.join(', ')}`,
  ]);
}

export async function runKeysPassphrase(ctx: CliContext, cmd: { recovery: boolean }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const account = await unlockAccount(ctx, c, { recovery: cmd.recovery });
  const passphrase = await askNewPassphrase(ctx, 'key passphrase');
  await changePassphrase(ctx.api(c.serverUrl, c.token), me(c), account, passphrase);
  ctx.result({ changed: true }, 'Key passphrase changed. Your keys and everything sent to you are unchanged.');
}

export async function runKeysRecoveryCode(ctx: CliContext): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const account = await unlockAccount(ctx, c);
  const code = await replaceRecoveryCode(ctx.api(c.serverUrl, c.token), me(c), account);
  ctx.result({ recoveryCode: code }, [
    'Your new recovery code — shown only this once; the old one no longer works:',
    '',
    `    ${code}`,
  ]);
}

export async function runSafetyNumber(ctx: CliContext, cmd: { email: string; acceptNewKey: boolean }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const api = ctx.api(c.serverUrl, c.token);
  const orgKey = await pinnedOrgKey(ctx, c, api);
  const mine = await memberKeyFingerprint(parseMemberKeyRecord((await api.getMyKeys({ signal: ctx.signal })).record));
  const contact = await resolveContactOrExplain(ctx, api, orgKey, c, cmd.email, cmd.acceptNewKey);
  const digits = await safetyNumberWith(mine, contact.key);
  ctx.result({ email: contact.key.record.email, fingerprint: toBase64Url(contact.key.fingerprint), safetyNumber: digits }, [
    `Safety number with ${contact.key.record.email}:`,
    '',
    `    ${digits.split(' ').slice(0, 6).join(' ')}`,
    `    ${digits.split(' ').slice(6).join(' ')}`,
    '',
    'Read it to each other (in person or by phone). If it matches, nobody stands between your keys.',
  ]);
}

/** Resolves a contact's key, turning the refusals into words and exit codes. */
export async function resolveContactOrExplain(
  ctx: CliContext, api: ReturnType<CliContext['api']>, orgKey: Uint8Array | null, c: Credentials, email: string, acceptChange: boolean,
  retry = `valise safety-number ${email} --accept-new-key`,
) {
  try {
    return await resolveContact(api, orgKey, fileContactPins(ctx.config.configDir, c.serverUrl), { email }, { acceptChange });
  } catch (e) {
    throw resolveContactFailure(e, email, retry);
  }
}

/** The words and exit code for a refused contact key (changed, unsigned, signed for someone else). */
export function resolveContactFailure(e: unknown, who: string, retry: string): unknown {
  if (e instanceof MemberKeyError && e.code === 'key_changed') {
    return new CliError(EXIT.integrity, [
      `WARNING: the key of ${e.detail!.email} has CHANGED since you last exchanged files.`,
      `  before: ${fingerprintText(fromBase64Url(e.detail!.pinned))}`,
      `  now:    ${fingerprintText(fromBase64Url(e.detail!.served))}`,
      'It is still signed by your organisation, so they may have new keys (a new computer, a lost passphrase).',
      `Check with them (compare \`valise safety-number ${e.detail!.email}\`) before going on, then run \`${retry}\`.`,
    ].join('\n'));
  }
  if (e instanceof MemberKeyError && e.code === 'no_org_key') return new CliError(EXIT.unavailable, e.message);
  const code = (e as { code?: string }).code;
  if (code === 'signature_invalid' || code === 'record_invalid') {
    return new CliError(EXIT.integrity, `the key the server gave for ${who} is not signed for them by your organisation: refused`);
  }
  return e;
}
