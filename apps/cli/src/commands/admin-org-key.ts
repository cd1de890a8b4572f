// `valise admin org-key init` and `valise admin sign-members`: the organisation key, made and kept on an
// administrator's machine (never on the server), certifies members' public keys and teams. docs/format.md §11.3,
// §11.6, §13.5.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  certifyMemberKey, certifyTeam, createOrgKeyFile, fingerprintText, memberKeyFingerprint, parseMemberKeyRecord, parseOrgKeyFile,
  parseTeamRecord, teamFingerprint, toBase64Url, unlockOrgKey,
} from '@valise/crypto';
import type { CliContext } from '../context.js';
import { requireCredentials } from '../credentials.js';
import { CliError, EXIT } from '../exit-codes.js';
import { writePrivateFile } from '../private-files.js';
import { askNewPassphrase } from './keys.js';
import { printable } from '../terminal-text.js';
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
  const { teams } = await api.listTeamsForAdmin({ status: 'pending' }, { signal: ctx.signal });
  if (keys.length === 0 && teams.length === 0) {
    ctx.result({ signed: [], skipped: [], teamsSigned: [], teamsSkipped: [] }, 'No member key or team is waiting for a signature.');
    return EXIT.ok;
  }
  const pending = await Promise.all(keys.map(async (k) => {
    const record = parseMemberKeyRecord(k.record);
    return { k, record, fingerprint: await memberKeyFingerprint(record) };
  }));
  const pendingTeams = await Promise.all(teams.map(async (t) => {
    const record = parseTeamRecord(t.record);
    return { t, record, fingerprint: await teamFingerprint(record) };
  }));
  const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d{3}Z$/u, '');
  if (pending.length) {
    ctx.note(formatTable(['MEMBER', 'KEYS', 'CREATED (UTC)', 'FINGERPRINT'], pending.map((p) => [
      p.record.email, `${p.record.kem}/${p.record.sig}`, when(p.record.createdAt), fingerprintText(p.fingerprint),
    ])).join('\n'));
  }
  if (pendingTeams.length) {
    ctx.note(formatTable(['TEAM', 'CREATED BY', 'CREATED (UTC)', 'FINGERPRINT'], pendingTeams.map((p) => [
      printable(p.record.name), p.t.createdBy ?? '-', when(p.record.createdAt), fingerprintText(p.fingerprint),
    ])).join('\n'));
  }
  if (!cmd.yes && !ctx.prompter.interactive) throw new CliError(EXIT.usage, 'give --yes to sign without asking, or run this in a terminal');
  const orgKey = await unlockOrgKey(file, await ctx.prompter.askSecret('Organisation key passphrase: ')).catch((e: unknown) => {
    if ((e as { code?: string }).code === 'commitment_mismatch') throw new CliError(EXIT.auth, 'wrong organisation key passphrase');
    throw e;
  });
  const confirm = async (question: string) => cmd.yes || /^y(es)?$/iu.test((await ctx.prompter.ask(`${question} [y/N] `)).trim());
  const signed: string[] = [];
  const skipped: string[] = [];
  for (const p of pending) {
    // Each member should confirm their fingerprint (`valise keys status`) by a channel the server does not control.
    if (!(await confirm(`Sign the key of ${p.record.email} (${fingerprintText(p.fingerprint)})?`))) {
      skipped.push(p.record.email);
      continue;
    }
    const certificate = await certifyMemberKey(orgKey, p.record);
    await api.certifyMemberKey(p.k.memberId, { fingerprint: toBase64Url(p.fingerprint), certificate: toBase64Url(certificate) }, { signal: ctx.signal });
    signed.push(p.record.email);
  }
  const teamsSigned: string[] = [];
  const teamsSkipped: string[] = [];
  for (const p of pendingTeams) {
    // A team's creator confirms its fingerprint (`valise team show`) the same way.
    if (!(await confirm(`Sign the team "${printable(p.record.name)}" (${fingerprintText(p.fingerprint)})?`))) {
      teamsSkipped.push(p.record.name);
      continue;
    }
    const certificate = await certifyTeam(orgKey, p.record);
    await api.certifyTeam(p.t.teamId, { fingerprint: toBase64Url(p.fingerprint), certificate: toBase64Url(certificate) }, { signal: ctx.signal });
    teamsSigned.push(p.record.name);
  }
  ctx.result({ signed, skipped, teamsSigned, teamsSkipped }, [
    `Signed ${signed.length} member key${signed.length === 1 ? '' : 's'}${signed.length ? `: ${signed.join(', ')}` : ''}.`,
    ...(skipped.length ? [`Left unsigned: ${skipped.join(', ')}.`] : []),
    ...(pendingTeams.length ? [`Signed ${teamsSigned.length} team${teamsSigned.length === 1 ? '' : 's'}${teamsSigned.length ? `: ${teamsSigned.map((n) => printable(n)).join(', ')}` : ''}.`] : []),
    ...(teamsSkipped.length ? [`Teams left unsigned: ${teamsSkipped.map((n) => printable(n)).join(', ')}.`] : []),
  ]);
  return EXIT.ok;
}
