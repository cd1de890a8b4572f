// `valise send FILE... --to EMAIL...`: encrypt on this computer, upload resumably, print the link.
import { join, resolve } from 'node:path';
import { type MemberDelivery, type UploadNotice, isApiError, resolveTeamKey, uploadTransfer } from '@valise/client';
import type { CertifiedMemberKey } from '@valise/crypto';
import { fileContactPins } from '../contact-pins.js';
import { printable } from '../terminal-text.js';
import type { Credentials } from '../credentials.js';
import { pinnedOrgKey } from '../org-pin.js';
import { resolveContactFailure, resolveContactOrExplain, unlockAccount } from './keys.js';
import type { ChunkAead } from '@valise/crypto';
import type { CliContext } from '../context.js';
import { requireCredentials } from '../credentials.js';
import { CliError, EXIT } from '../exit-codes.js';
import { createFileResumeStore, sendResumeKey } from '../file-resume-store.js';
import { type NodeFileSource, openFileSource } from '../node-file-source.js';
import { createProgressReporter, formatBytes } from '../progress.js';
import { nodeSha256 } from '../crypto/node-digest.js';
import { PartSealerPool, defaultSealerThreads } from '../crypto/part-sealer.js';

export interface SendCommand {
  files: string[];
  to: string[];
  expiresInSeconds: number | undefined;
  maxDownloads: number | undefined;
  dataClass: string | undefined;
  message: string | undefined;
  /** A link for everyone, even members with keys. */
  linkOnly?: boolean;
  /** A recipient's key changed and the sender checked with them. */
  acceptNewKey?: boolean;
  /** Teams (by name) that receive it in their members' inboxes (docs/format.md §13.5). */
  teams?: string[];
}

interface DeliveryPlan {
  delivery: MemberDelivery | undefined;
  /** Recipients who get a member slot (their inbox, no link). */
  inbox: string[];
  /** Teams that get a team slot. */
  teams: string[];
}

/** Each team's current key: certified by the organisation, signed by the team, never older than one seen. */
async function resolveTeams(ctx: CliContext, c: Credentials, api: ReturnType<CliContext['api']>, orgKey: Uint8Array, names: string[], acceptChange: boolean) {
  const keys: Awaited<ReturnType<typeof resolveTeamKey>>[] = [];
  for (const name of names) {
    try {
      keys.push(await resolveTeamKey(api, orgKey, fileContactPins(ctx.config.configDir, c.serverUrl), { name }, { acceptChange }));
    } catch (e) {
      if (isApiError(e, 'team_unavailable')) throw new CliError(EXIT.usage, `there is no team "${name}" signed by your organisation (see \`valise team list\`)`);
      throw resolveContactFailure(e, `the team "${name}"`, 'valise send … --accept-new-key');
    }
  }
  return keys;
}

/**
 * Who can receive without a link: members whose keys the organisation signed (checked and pinned here), when the
 * sender has signed keys too. Asks the sender's key passphrase only then. Everyone else gets the link.
 */
async function planDelivery(ctx: CliContext, c: Credentials, recipients: string[], cmd: SendCommand): Promise<DeliveryPlan> {
  const none = { delivery: undefined, inbox: [], teams: [] };
  const teamNames = cmd.teams ?? [];
  const needKeys = (why: string) => new CliError(EXIT.usage, `${why}: sending to a team needs keys signed by your organisation (see \`valise keys\`)`);
  if (cmd.linkOnly) return none;
  const api = ctx.api(c.serverUrl, c.token);
  let mine;
  try {
    mine = await api.getMyKeys({ signal: ctx.signal });
  } catch (e) {
    if (isApiError(e, 'member_keys_missing')) {
      if (teamNames.length) throw needKeys('you have no keys yet');
      return none;
    }
    throw e;
  }
  const orgKey = await pinnedOrgKey(ctx, c, api);
  if (orgKey === null || mine.certificate === null) {
    if (teamNames.length) throw needKeys('your key is not signed yet');
    if (!ctx.json) ctx.note('Your key is not signed by your organisation yet: everyone gets the link.');
    return none;
  }
  const teams = await resolveTeams(ctx, c, api, orgKey, teamNames, cmd.acceptNewKey ?? false);
  const members: CertifiedMemberKey[] = [];
  for (const email of recipients) {
    try {
      const { key } = await resolveContactOrExplain(ctx, api, orgKey, c, email, cmd.acceptNewKey ?? false, 'valise send … --accept-new-key');
      members.push(key);
    } catch (e) {
      if (isApiError(e, 'member_key_unavailable')) continue; // not a member with signed keys: the link
      throw e;
    }
  }
  if (members.length === 0 && teams.length === 0) return none;
  const inboxes = [...members.map((m) => m.record.email), ...teams.map((t) => `the team "${printable(t.team.record.name)}"`)];
  if (!ctx.json) ctx.note(`${inboxes.join(', ')} will receive it in their Valise inbox: unlock your keys to sign it.`);
  const account = await unlockAccount(ctx, c);
  account.uk.fill(0);
  return {
    delivery: { sender: account.keys, recipients: members, teams, link: members.length < recipients.length },
    inbox: members.map((m) => m.record.email),
    teams: teams.map((t) => printable(t.team.record.name)),
  };
}

/**
 * node:crypto AES-256-GCM (same bytes as WebCrypto, several times faster) when the CLI ships it; the
 * module is loaded by a computed specifier so the CLI still works, on WebCrypto, without it.
 */
export async function loadNodeAead(): Promise<ChunkAead | undefined> {
  const specifier = '../crypto/node-aead.js';
  try {
    const mod = (await import(specifier)) as { nodeAead?: ChunkAead };
    return mod.nodeAead;
  } catch {
    return undefined;
  }
}

export async function runSend(ctx: CliContext, cmd: SendCommand): Promise<void> {
  const credentials = await requireCredentials(ctx.config.configDir);
  const paths = cmd.files.map((f) => resolve(f));
  const duplicate = paths.find((p, i) => paths.indexOf(p) !== i);
  if (duplicate) throw new CliError(EXIT.usage, `${duplicate} is given twice`);
  const recipients = [...new Map(cmd.to.map((r) => [r.toLowerCase(), r])).values()];

  const plan = await planDelivery(ctx, credentials, recipients, cmd);
  const byLink = recipients.filter((r) => !plan.inbox.includes(r.toLowerCase()));
  const sources: NodeFileSource[] = [];
  try {
    for (const path of paths) sources.push(await openFileSource(path));
    const total = sources.reduce((n, s) => n + s.size, 0);
    const progress = createProgressReporter({ stream: ctx.io.stderr, enabled: !ctx.json, label: 'Sending' });
    const onNotice = (n: UploadNotice) => {
      if (n.kind === 'created') return; // nothing to tell: the keys are saved and the parts start
      if (n.kind === 'resuming') ctx.note(`Resuming an interrupted send (${n.partsDone} of ${n.partsTotal} parts already on the server).`);
      else if (n.reason === 'sources_changed') ctx.note('The files or settings changed since the interrupted send: starting over with new keys.');
      else ctx.note('The interrupted send is no longer open on the server: starting over.');
    };
    if (!ctx.json) ctx.note(`Encrypting and sending ${sources.length} file${sources.length === 1 ? '' : 's'} (${formatBytes(total)})…`);
    const aead = await loadNodeAead();
    // Threads that encrypt and hash the parts beside the HTTP I/O, with the node:crypto AEAD (without it, or with
    // no thread, parts are sealed on this thread).
    const threads = ctx.config.sealThreads ?? defaultSealerThreads();
    const sealer = aead && threads > 0 ? new PartSealerPool(threads) : undefined;
    let result;
    try {
      result = await uploadTransfer({
        api: ctx.api(credentials.serverUrl, credentials.token),
        files: sealer ? sources.map((s) => sealer.recycling(s)) : sources,
        recipients,
        expiresInSeconds: cmd.expiresInSeconds,
        maxDownloads: cmd.maxDownloads,
        dataClass: cmd.dataClass,
        message: cmd.message,
        resumeStore: createFileResumeStore(join(ctx.config.configDir, 'uploads')),
        resumeKey: sendResumeKey(credentials.serverUrl, paths),
        aead,
        sha256: nodeSha256,
        // The CLI's fetch (node-fetch.ts) has sent the whole body when a part's response arrives.
        reuseBuffers: true,
        sealPart: sealer && ((job) => sealer.seal(job)),
        members: plan.delivery,
        onProgress: (e) => progress.update(e),
        onNotice,
        signal: ctx.signal,
      });
    } finally {
      progress.stop();
      await sealer?.terminate(); // success, failure or Ctrl-C: live threads would keep the process running
    }
    const expires = new Date(result.expiresAt).toISOString();
    ctx.result(
      {
        transferId: result.transferId, link: result.link, expiresAt: result.expiresAt, recipients, inboxRecipients: plan.inbox, teams: plan.teams,
        maxDownloads: result.maxDownloads, dataClass: result.dataClass,
      },
      result.link ?? `Sent ${result.transferId}.`,
    );
    if (!ctx.json) {
      const to = [...recipients, ...plan.teams.map((t) => `the team "${t}"`)];
      ctx.note(`Sent to ${to.join(', ')} (data class ${result.dataClass}), until ${expires}, for ${result.maxDownloads} download${result.maxDownloads === 1 ? '' : 's'}.`);
      if (plan.inbox.length + plan.teams.length > 0) {
        ctx.note(`In their Valise inbox, no link needed: ${[...plan.inbox, ...plan.teams.map((t) => `every member of "${t}"`)].join(', ')} (signed by you).`);
      }
      if (result.link) ctx.note(`Give the link above to ${byLink.join(', ')}: they also need the code that Valise e-mails them.`);
    }
  } finally {
    await Promise.allSettled(sources.map((s) => s.close()));
  }
}
