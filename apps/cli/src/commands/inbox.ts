// `valise inbox`: transfers sent to your keys or your teams' by colleagues, and deposits into your or your teams' drop
// boxes (no link); open one with `valise receive ID`.
import type { InboxEntry } from '@valise/protocol';
import type { CliContext } from '../context.js';
import { requireCredentials } from '../credentials.js';
import { formatBytes } from '../progress.js';
import { printable } from '../terminal-text.js';
import { formatTable } from './transfers.js';

const date = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/u, 'Z').replace('T', ' '));

function stateOf(t: InboxEntry): string {
  if (t.state === 'ready') return t.downloadedAt === null ? 'new' : 'downloaded';
  return t.closeReason ? `closed (${t.closeReason})` : t.state;
}

/** A colleague (signature checked on opening), or a depositor: unverified, only their address was checked. */
export function fromOf(t: InboxEntry): string {
  if (t.sender) return t.sender.email;
  const d = t.deposit!;
  return `${d.depositorName} <${d.depositorEmail}> (unverified sender) into "${d.boxName}"`;
}

export async function runInbox(ctx: CliContext): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const { transfers } = await ctx.api(c.serverUrl, c.token).listInbox({ signal: ctx.signal });
  if (transfers.length === 0 && !ctx.json) {
    ctx.note('Your inbox is empty.');
    return;
  }
  ctx.result({ transfers }, formatTable(['ID', 'FROM', 'TO', 'STATE', 'FILES', 'SIZE', 'RECEIVED (UTC)', 'EXPIRES (UTC)'], transfers.map((t) => [
    t.transferId, printable(fromOf(t)), t.team ? `team "${printable(t.team.name)}"` : 'you', stateOf(t), String(t.fileCount), formatBytes(t.contentBytes), date(t.createdAt), date(t.expiresAt),
  ])));
  if (!ctx.json) ctx.note('Open one with: valise receive ID --out FOLDER');
}
