// `valise admin org-key init` and `valise admin sign-members`: the organisation key, made and kept on an
// administrator's machine (never on the server), certifies members' public keys. docs/format.md §11.3, §11.6.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  certifyMemberKey, createOrgKeyFile, fingerprintText, memberKeyFingerprint, parseMemberKeyRecord, parseOrgKeyFile,
  toBase64Url, unlockOrgKey,
} from '@valise/crypto';
import type { CliContext } from '../context.js';
import { requireCredentials } from '../credentials.js';
import { CliError, EXIT } from '../exit-codes.js';
import { writePrivateFile } from '../private-files.js';
import { askNewPassphrase } from './keys.js';
import { formatTable } from './transfers.js';

export const defaultOrgKeyPath = (configDir: string): string => join(configDir, 'org-key.json');

export async function runOrgKeyInit(ctx: CliContext, cmd: { out: string | undefined }): Promise<void> {
  const path = cmd.out ?? defaultOrgKeyPath(ctx.config.configDir);
  if (existsSync(path)) throw new CliError(EXIT.usage, `${path} already exists: an organisation has one key (move it away first if you really mean to replace it)`);
  ctx.note('The organisation key signs every member\'s key. Keep the file and its passphrase on this machine and in your backups, never on the server.');
  const passphrase = await askNewPassphrase(ctx, 'organisation key passphrase');
  const { file, bytes } = await createOrgKeyFile(passphrase);
  await writePrivateFile(path, `${new TextDecoder().decode(bytes)}\n`);
  ctx.result({ path, publicKey: file.publicKey }, [
    `Organisation key written to ${path} (readable by you only).`,
    'Give the server its public key, then restart it:',
    '',
    `    VALISE_ORG_PUBLIC_KEY=${file.publicKey}`,
    '',
    'Then sign members\' keys with `valise admin sign-members`.',
  ]);
}

export async function runSignMembers(ctx: CliContext, cmd: { key: string | undefined; yes: boolean }): Promise<number> {
  const c = await requireCredentials(ctx.config.configDir);
  if (!c.isAdmin) throw new CliError(EXIT.auth, 'only administrators sign members\' keys');
  const path = cmd.key ?? defaultOrgKeyPath(ctx.config.configDir);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    throw new CliError(EXIT.usage, `no organisation key at ${path} (see \`valise admin org-key init\`, or give --key FILE)`);
  }
  const file = await parseOrgKeyFile(bytes);
  const api = ctx.api(c.serverUrl, c.token);
  const { publicKey } = await api.getOrgKey({ signal: ctx.signal });
  if (publicKey !== file.publicKey) {
    throw new CliError(EXIT.usage, publicKey === null
      ? `the server has no organisation key yet: set VALISE_ORG_PUBLIC_KEY=${file.publicKey} and restart it`
      : 'this organisation key is not the one the server trusts (VALISE_ORG_PUBLIC_KEY): nothing signed');
  }
  if (c.orgPublicKey && c.orgPublicKey !== file.publicKey) throw new CliError(EXIT.integrity, 'this organisation key is not the one this computer pinned at login');
  const { keys } = await api.listMemberKeysForAdmin({ status: 'pending' }, { signal: ctx.signal });
  if (keys.length === 0) {
    ctx.result({ signed: [], skipped: [] }, 'No member key is waiting for a signature.');
    return EXIT.ok;
  }
  const pending = await Promise.all(keys.map(async (k) => {
    const record = parseMemberKeyRecord(k.record);
    return { k, record, fingerprint: await memberKeyFingerprint(record) };
  }));
  ctx.note(formatTable(['MEMBER', 'KEYS', 'CREATED (UTC)', 'FINGERPRINT'], pending.map((p) => [
    p.record.email, `${p.record.kem}/${p.record.sig}`, p.record.createdAt.replace('T', ' ').replace(/\.\d{3}Z$/u, ''), fingerprintText(p.fingerprint),
  ])).join('\n'));
  if (!cmd.yes && !ctx.prompter.interactive) throw new CliError(EXIT.usage, 'give --yes to sign without asking, or run this in a terminal');
  const orgKey = await unlockOrgKey(file, await ctx.prompter.askSecret('Organisation key passphrase: ')).catch((e: unknown) => {
    if ((e as { code?: string }).code === 'commitment_mismatch') throw new CliError(EXIT.auth, 'wrong organisation key passphrase');
    throw e;
  });
  const signed: string[] = [];
  const skipped: string[] = [];
  for (const p of pending) {
    // Each member should confirm their fingerprint (`valise keys status`) by a channel the server does not control.
    const yes = cmd.yes || /^y(es)?$/iu.test((await ctx.prompter.ask(`Sign the key of ${p.record.email} (${fingerprintText(p.fingerprint)})? [y/N] `)).trim());
    if (!yes) {
      skipped.push(p.record.email);
      continue;
    }
    const certificate = await certifyMemberKey(orgKey, p.record);
    await api.certifyMemberKey(p.k.memberId, { fingerprint: toBase64Url(p.fingerprint), certificate: toBase64Url(certificate) }, { signal: ctx.signal });
    signed.push(p.record.email);
  }
  ctx.result({ signed, skipped }, [
    `Signed ${signed.length} member key${signed.length === 1 ? '' : 's'}${signed.length ? `: ${signed.join(', ')}` : ''}.`,
    ...(skipped.length ? [`Left unsigned: ${skipped.join(', ')}.`] : []),
  ]);
  return EXIT.ok;
}

