// `valise list` and `valise revoke`: the signed-in member's own transfers.
import type { TransferSummary } from '@valise/protocol';
import type { CliContext } from '../context.js';
import { requireCredentials } from '../credentials.js';
import { printable } from '../terminal-text.js';

const date = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/u, 'Z').replace('T', ' '));

/** Plain text table: columns padded to their widest cell. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function transferRows(transfers: readonly TransferSummary[]): string[][] {
  return transfers.map((t) => [
    t.transferId,
    t.closeReason ? `${t.state} (${t.closeReason})` : t.state,
    date(t.createdAt),
    date(t.expiresAt),
    `${t.downloadsUsed}/${t.maxDownloads}`,
    printable(t.recipients.join(', ')),
  ]);
}

export async function runList(ctx: CliContext): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const { transfers } = await ctx.api(c.serverUrl, c.token).listTransfers({ signal: ctx.signal });
  if (transfers.length === 0 && !ctx.json) {
    ctx.note('No transfers yet.');
    return;
  }
  ctx.result({ transfers }, formatTable(['ID', 'STATE', 'CREATED (UTC)', 'EXPIRES (UTC)', 'DOWNLOADS', 'RECIPIENTS'], transferRows(transfers)));
}

export async function runRevoke(ctx: CliContext, cmd: { transferId: string }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  await ctx.api(c.serverUrl, c.token).revokeTransfer(cmd.transferId, { signal: ctx.signal });
  ctx.result({ transferId: cmd.transferId, revoked: true }, `Revoked ${cmd.transferId}: the link no longer works and its files will be deleted.`);
}
