// `valise receive LINK|TRANSFER_ID [--out DIR] [--email E]`: pass the gate (a link), or open a transfer sent to your
// keys (an id from `valise inbox`), then download, verify and decrypt into --out.
import { mkdir } from 'node:fs/promises';
import {
  type AskCodeContext, type KeptGrant, type OpenedTransfer, type RecipientIdentity, type TransferLink,
  type OpenedDeposit, type OpenedMemberTransfer, downloadTransfer, isApiError, openDepositTransfer, openMemberTransfer, openTeamTransfer, openTransfer,
  parseTransferLink, resumeTransfer,
} from '@valise/client';
import { fileContactPins } from '../contact-pins.js';
import { requireCredentials } from '../credentials.js';
import { pinnedOrgKey } from '../org-pin.js';
import { resolveContactFailure, unlockAccount } from './keys.js';
import type { CliContext } from '../context.js';
import { loadCredentials } from '../credentials.js';
import { CliError, EXIT } from '../exit-codes.js';
import { type KeptGrantStore, createKeptGrantStore } from '../kept-grants.js';
import { createFolderSinks, resolveOutputDir } from '../node-file-sink.js';
import { createProgressReporter, formatBytes } from '../progress.js';
import { printable } from '../terminal-text.js';
import { loadNodeAead } from './send.js';
import { nodeSha256 } from '../crypto/node-digest.js';

export interface ReceiveCommand {
  link: string;
  out: string;
  email: string | undefined;
  acceptNewKey?: boolean;
}

/** A transfer id (as `valise inbox` shows) rather than a link: a transfer sent to this member's keys. */
export const isTransferId = (value: string): boolean => /^[A-Za-z0-9_-]{22}$/u.test(value.trim());

/**
 * Unlocks the member's keys and opens the transfer through their member slot (the sender's signature is checked),
 * or, for a deposit into one of their drop boxes, through the box's keys (an unverified sender).
 */
async function openFromInbox(ctx: CliContext, cmd: ReceiveCommand): Promise<OpenedTransfer & { sender?: OpenedMemberTransfer['sender']; depositor?: OpenedDeposit['depositor'] }> {
  const c = await requireCredentials(ctx.config.configDir);
  const api = ctx.api(c.serverUrl, c.token);
  const orgPublicKey = await pinnedOrgKey(ctx, c, api);
  const entry = (await api.listInbox({ signal: ctx.signal })).transfers.find((t) => t.transferId === cmd.link.trim());
  if (!entry) throw new CliError(EXIT.gone, 'no such transfer in your inbox (see `valise inbox`)');
  const account = await unlockAccount(ctx, c);
  if (entry.kind === 'deposit') {
    try {
      return await openDepositTransfer(api, c.serverUrl, account.keys, entry.transferId, { aead: await loadNodeAead(), signal: ctx.signal, orgPublicKey });
    } finally {
      account.uk.fill(0);
    }
  }
  try {
    return await (entry.team ? openTeamTransfer : openMemberTransfer)({
      api, serverUrl: c.serverUrl, transferId: cmd.link.trim(), me: account.keys, orgPublicKey,
      pins: fileContactPins(ctx.config.configDir, c.serverUrl), acceptChangedSenderKey: cmd.acceptNewKey ?? false,
      aead: await loadNodeAead(), signal: ctx.signal,
    });
  } catch (e) {
    throw resolveContactFailure(e, 'the sender', 'valise receive ID --accept-new-key');
  } finally {
    account.uk.fill(0);
  }
}

function codeAsker(ctx: CliContext) {
  return async (c: AskCodeContext): Promise<string> => {
    if (c.attempt === 1) ctx.note(`A code was sent to ${c.email} if it is a recipient of this transfer (valid until ${new Date(c.codeExpiresAt).toLocaleTimeString()}).`);
    else ctx.note(c.attemptsLeft === undefined ? 'That code is not right.' : `That code is not right (${c.attemptsLeft} attempt${c.attemptsLeft === 1 ? '' : 's'} left).`);
    return ctx.prompter.ask('Code from the e-mail (8 digits): ');
  };
}

async function askEmail(ctx: CliContext): Promise<string> {
  const email = (await ctx.prompter.ask('Your e-mail address (as the sender wrote it): ')).trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(email)) throw new CliError(EXIT.usage, 'that is not an e-mail address');
  return email;
}

async function open(ctx: CliContext, cmd: ReceiveCommand, kept: KeptGrantStore): Promise<OpenedTransfer> {
  const link = parseTransferLink(cmd.link);
  const aead = await loadNodeAead();
  const resumed = await resumeWithKeptGrant(ctx, link, kept, aead);
  if (resumed) return resumed;
  const base = { aead, signal: ctx.signal, onGrant: (grant: KeptGrant) => kept.save(grant) };
  if (cmd.email === undefined) {
    // A signed-in member who is a recipient needs no code, on the server the credentials are for.
    const credentials = await loadCredentials(ctx.config.configDir);
    if (credentials && credentials.serverUrl === link.serverUrl) {
      try {
        return await openTransfer(link, { memberToken: credentials.token }, base);
      } catch (e) {
        if (!isApiError(e) || (e.status !== 401 && e.status !== 403)) throw e;
        ctx.note(`Signed in as ${credentials.email}, who is not a recipient here: continuing with an e-mailed code.`);
      }
    }
  }
  const identity: RecipientIdentity = { email: cmd.email ?? (await askEmail(ctx)), askCode: codeAsker(ctx) };
  return openTransfer(link, identity, base);
}

/** An earlier run that was interrupted left its grant: continue with it, no code and no download spent. */
async function resumeWithKeptGrant(
  ctx: CliContext, link: TransferLink, kept: KeptGrantStore, aead: Awaited<ReturnType<typeof loadNodeAead>>,
): Promise<OpenedTransfer | undefined> {
  const grant = await kept.load(link.serverUrl, link.transferId);
  if (!grant) return undefined;
  try {
    const opened = await resumeTransfer(link, grant.grantToken, { aead, signal: ctx.signal });
    ctx.note('Resuming the interrupted download (no download is spent and no code is needed).');
    return opened;
  } catch (e) {
    if (!isApiError(e)) throw e;
    await kept.delete(link.serverUrl, link.transferId);
    if (e.code !== 'grant_invalid') throw e; // expired, revoked…: that answer is the user's answer
    return undefined; // the grant ended (finished or idle too long): open the transfer again
  }
}

export async function runReceive(ctx: CliContext, cmd: ReceiveCommand): Promise<void> {
  const fromInbox = isTransferId(cmd.link);
  if (!fromInbox) parseTransferLink(cmd.link); // a malformed link is a usage error before anything else happens
  await mkdir(cmd.out, { recursive: true });
  const outDir = await resolveOutputDir(cmd.out);
  const kept = createKeptGrantStore(ctx.config.configDir);
  const opened: OpenedTransfer & { sender?: OpenedMemberTransfer['sender']; depositor?: OpenedDeposit['depositor'] } = fromInbox
    ? await openFromInbox(ctx, cmd)
    : await open(ctx, cmd, kept);
  if (opened.sender && !ctx.json) ctx.note(`From ${opened.sender.email} (signature verified with their organisation-signed key).`);
  if (opened.depositor && !ctx.json) {
    ctx.note(`Deposit from ${printable(opened.depositor.name)} <${opened.depositor.email}>: an UNVERIFIED sender (only the address was checked, by an e-mailed code).`);
  }
  const files = opened.manifest.files;
  const total = files.reduce((n, f) => n + f.size, 0);
  if (!ctx.json) ctx.note(`Receiving ${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(total)}) into ${outDir}…`);

  const sinks = createFolderSinks(outDir);
  ctx.onInterrupt(() => sinks.cleanupSync());
  const progress = createProgressReporter({ stream: ctx.io.stderr, enabled: !ctx.json, label: 'Receiving' });
  let result;
  try {
    result = await downloadTransfer(opened, {
      createSink: sinks.createSink,
      aead: await loadNodeAead(),
      sha256: nodeSha256,
      reuseBuffers: true, // folder sinks are done with the bytes once a write resolves
      prefetch: 2, // 3 parts downloading while one is decrypted and the one before is written
      onProgress: (e) => progress.update(e),
      signal: ctx.signal,
    });
  } finally {
    progress.stop();
    sinks.cleanupSync();
  }
  await kept.delete(opened.serverUrl, opened.transferId); // every file is saved: nothing left to resume
  const saved = [...sinks.saved].sort((a, b) => a.index - b.index);
  const message = result.message === null ? null : printable(result.message, true);
  ctx.result(
    {
      transferId: result.transferId, outDir, message, files: saved.map((s) => ({ name: s.name, path: s.path, size: s.size, type: s.type })),
      ...(opened.sender ? { sender: { email: opened.sender.email, verified: true } } : {}),
      ...(opened.depositor ? { depositor: { email: opened.depositor.email, name: opened.depositor.name, verified: 'email' } } : {}),
    },
    saved.map((s) => s.path),
  );
  if (!ctx.json) {
    ctx.note(`Saved ${saved.length} file${saved.length === 1 ? '' : 's'}, verified and decrypted.`);
    if (message) ctx.note(`Message from the sender:\n${message}`);
    if (!result.completed) ctx.note('(The server could not be told the download finished; nothing to do.)');
  }
}
