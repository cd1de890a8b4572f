// `valise box create|list|close` (a member's drop boxes) and `valise deposit LINK FILE...` (anyone with the link:
// no account, an e-mailed code). docs/format.md §13.
import { resolve } from 'node:path';
import { createBox, depositFiles, openBox, openMyTeam, verifyDepositor } from '@valise/client';
import { pinnedOrgKey } from '../org-pin.js';
import { findMyTeam } from './teams.js';
import type { CliContext } from '../context.js';
import { requireCredentials } from '../credentials.js';
import { CliError, EXIT } from '../exit-codes.js';
import { type NodeFileSource, openFileSource } from '../node-file-source.js';
import { createProgressReporter, formatBytes } from '../progress.js';
import { nodeSha256 } from '../crypto/node-digest.js';
import { printable } from '../terminal-text.js';
import { unlockAccount } from './keys.js';
import { loadNodeAead } from './send.js';
import { formatTable } from './transfers.js';

const date = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/u, 'Z').replace('T', ' ');

export interface BoxCreateCommand {
  name: string;
  /** Default: the longest the box's data class allows. */
  expiresInSeconds: number | undefined;
  maxDeposits: number;
  maxDepositBytes: number;
  domains: string[];
  dataClass: string | undefined;
  /** A team of the member's (name or id) owns the box. */
  team?: string | undefined;
}

export async function runBoxCreate(ctx: CliContext, cmd: BoxCreateCommand): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const account = await unlockAccount(ctx, c);
  account.uk.fill(0);
  if (!account.certified) throw new CliError(EXIT.usage, 'your key is not signed by your organisation yet (see `valise keys`): a drop box needs it');
  const api = ctx.api(c.serverUrl, c.token);
  let expiresInSeconds = cmd.expiresInSeconds;
  if (expiresInSeconds === undefined) {
    const policy = await api.transferPolicy({ signal: ctx.signal });
    const dataClass = policy.dataClasses.find((d) => d.name === (cmd.dataClass ?? policy.defaultDataClass));
    if (!dataClass) throw new CliError(EXIT.usage, `there is no data class "${cmd.dataClass}" (see \`valise admin classes\`)`);
    expiresInSeconds = dataClass.maxExpirySeconds;
  }
  const team = cmd.team === undefined ? undefined : await openMyTeam(api, account.keys, await pinnedOrgKey(ctx, c, api), (await findMyTeam(ctx, c, cmd.team)).teamId);
  let created;
  try {
    created = await createBox(api, account.keys, {
      name: cmd.name, expiresInSeconds, maxDeposits: cmd.maxDeposits, maxDepositBytes: cmd.maxDepositBytes,
      allowedDomains: cmd.domains, dataClass: cmd.dataClass, ownerTeam: team?.keys,
    });
  } finally {
    team?.keys.bundle.fill(0);
  }
  const { box, link } = created;
  ctx.result({ ...box, link }, link);
  if (!ctx.json) {
    if (box.ownerTeam) ctx.note(`Owned by the team "${printable(box.ownerTeam.name)}": every member can open its deposits.`);
    ctx.note(`Drop box "${printable(box.name)}" (${box.dataClass}) is open until ${date(box.expiresAt)} UTC, for ${box.maxDeposits} deposit${box.maxDeposits === 1 ? '' : 's'} of up to ${formatBytes(box.maxDepositBytes)}${box.allowedDomains.length ? `, from ${box.allowedDomains.join(', ')}` : ''}.`);
    ctx.note('Give the link above to the people who must deliver files: it holds the box\'s key (after #), so keep it whole.');
  }
}

export async function runBoxList(ctx: CliContext): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const { boxes } = await ctx.api(c.serverUrl, c.token).listBoxes({ signal: ctx.signal });
  const withLinks = boxes.map((b) => ({ ...b, link: `${b.linkBase}#${b.identity.publicKey}` }));
  if (boxes.length === 0 && !ctx.json) {
    ctx.note('You have no drop box. Create one with `valise box create NAME`.');
    return;
  }
  ctx.result({ boxes: withLinks }, formatTable(['ID', 'NAME', 'OWNER', 'STATE', 'DEPOSITS', 'EXPIRES (UTC)', 'LINK'], withLinks.map((b) => [
    b.boxId, printable(b.name), b.ownerTeam ? printable(b.ownerTeam.name) : 'you', b.state, `${b.depositsUsed}/${b.maxDeposits}`, date(b.expiresAt), b.link,
  ])));
}

export async function runBoxClose(ctx: CliContext, cmd: { boxId: string }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const box = await ctx.api(c.serverUrl, c.token).closeBox(cmd.boxId, { signal: ctx.signal });
  ctx.result(box, `Closed "${printable(box.name)}": no more deposits. Deposits already made stay in your inbox until they expire.`);
}

export interface DepositCommand {
  link: string;
  files: string[];
  email: string | undefined;
  name: string | undefined;
  message: string | undefined;
}

export async function runDeposit(ctx: CliContext, cmd: DepositCommand): Promise<void> {
  const box = await openBox(cmd.link, {}, ctx.signal);
  const boxName = printable(box.key.record.name);
  if (!ctx.json) ctx.note(`Drop box "${boxName}" (its name and key are signed: checked against the link).`);
  const paths = cmd.files.map((f) => resolve(f));
  const sources: NodeFileSource[] = [];
  try {
    for (const path of paths) sources.push(await openFileSource(path));
    const total = sources.reduce((n, s) => n + s.size, 0);
    if (total > box.policy.maxDepositBytes) throw new CliError(EXIT.usage, `this box takes at most ${formatBytes(box.policy.maxDepositBytes)} per deposit (these files: ${formatBytes(total)})`);
    if (sources.length > box.policy.maxFiles) throw new CliError(EXIT.usage, `this box takes at most ${box.policy.maxFiles} files per deposit`);
    const email = cmd.email ?? (await ctx.prompter.ask('Your e-mail address (a code will be sent to it): ')).trim();
    const name = cmd.name ?? (await ctx.prompter.ask('Your name or organisation (shown to the recipients): ')).trim();
    if (name === '') throw new CliError(EXIT.usage, 'give your name or organisation (--name)');
    const depositToken = await verifyDepositor(box, {
      email, name,
      askCode: async ({ attempt, codeExpiresAt }) => {
        ctx.note(attempt === 1 ? `A code was sent to ${email} (valid until ${new Date(codeExpiresAt).toLocaleTimeString()}).` : 'That code is not right.');
        return ctx.prompter.ask('Code from the e-mail (8 digits): ');
      },
    }, ctx.signal);
    if (!ctx.json) ctx.note(`Encrypting for "${boxName}" and sending ${sources.length} file${sources.length === 1 ? '' : 's'} (${formatBytes(total)})…`);
    const progress = createProgressReporter({ stream: ctx.io.stderr, enabled: !ctx.json, label: 'Depositing' });
    let receipt;
    try {
      receipt = await depositFiles(box, depositToken, {
        files: sources, message: cmd.message, aead: await loadNodeAead(), sha256: nodeSha256, reuseBuffers: true,
        onProgress: (e) => progress.update(e), signal: ctx.signal,
      });
    } finally {
      progress.stop();
    }
    ctx.result({ receipt }, [
      `Delivered to "${boxName}" on ${date(receipt.depositedAt)} UTC. Receipt:`,
      `  deposit ${receipt.transferId}, ${receipt.files.length} file${receipt.files.length === 1 ? '' : 's'}, encrypted manifest SHA-256 ${receipt.manifestSha256}`,
      `  kept for the recipients until ${date(receipt.expiresAt)} UTC; a copy of this receipt was e-mailed to ${receipt.depositorEmail}.`,
      'Only the box\'s owners can open it: neither you nor the server can read it back.',
    ]);
  } finally {
    await Promise.allSettled(sources.map((s) => s.close()));
  }
}

