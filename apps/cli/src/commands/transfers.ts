// `valise list`, `valise revoke` and `valise deletion-record`: the signed-in member's own transfers.
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
    t.dataClass,
    date(t.createdAt),
    date(t.expiresAt),
    `${t.downloadsUsed}/${t.maxDownloads}`,
    printable([...t.recipients, ...t.teams.map((team) => `${team.name} (team)`)].join(', ')),
  ]);
}

/** Shown without --limit or --all. */
const DEFAULT_LIST_LIMIT = 50;
/** The server's largest page. */
const PAGE_MAX = 200;

/** The newest transfers, page by page up to `limit` (or all); `more` says whether older ones were left out. */
export async function runList(ctx: CliContext, cmd: { limit: number | undefined; all: boolean }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const api = ctx.api(c.serverUrl, c.token);
  const wanted = cmd.all ? Number.POSITIVE_INFINITY : cmd.limit ?? DEFAULT_LIST_LIMIT;
  const transfers: TransferSummary[] = [];
  let before: string | undefined;
  let more = false;
  for (;;) {
    const page = await api.listTransfers({ limit: Math.min(PAGE_MAX, wanted - transfers.length), ...(before ? { before } : {}) }, { signal: ctx.signal });
    transfers.push(...page.transfers);
    more = page.next !== null;
    if (!more || transfers.length >= wanted) break;
    before = page.next ?? undefined;
  }
  if (transfers.length === 0 && !ctx.json) {
    ctx.note('No transfers yet.');
    return;
  }
  ctx.result({ transfers, more }, formatTable(['ID', 'STATE', 'CLASS', 'CREATED (UTC)', 'EXPIRES (UTC)', 'DOWNLOADS', 'RECIPIENTS'], transferRows(transfers)));
  if (more && !ctx.json) ctx.note(`Showing the newest ${transfers.length}; older ones: valise list --all (or --limit N).`);
}

export async function runRevoke(ctx: CliContext, cmd: { transferId: string }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  await ctx.api(c.serverUrl, c.token).revokeTransfer(cmd.transferId, { signal: ctx.signal });
  ctx.result({ transferId: cmd.transferId, revoked: true }, `Revoked ${cmd.transferId}: the link no longer works and its files will be deleted.`);
}

/** The purge's evidence for one of the member's transfers: what was deleted, why, how late, confirmed by the storage. */
export async function runDeletionRecord(ctx: CliContext, cmd: { transferId: string }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const record = await ctx.api(c.serverUrl, c.token).deletionRecord(cmd.transferId, { signal: ctx.signal });
  const lines = [
    `Transfer ${record.transferId} (${record.dataClass}) was purged on ${date(record.purgedAt)} UTC, reason: ${record.reason}.`,
    `Deadline ${date(record.deadlineAt)} UTC; purged ${Math.round(record.lagMs / 1000)} s after it.`,
    `${record.blobCount} stored part${record.blobCount === 1 ? '' : 's'}, ${record.bytes} bytes, each confirmed gone by the storage:`,
    ...formatTable(['FILE', 'PART', 'BYTES', 'SHA-256 (AS UPLOADED)', 'GONE (UTC)'], record.parts.map((p) => [
      String(p.file + 1), String(p.index + 1), String(p.size), p.sha256, date(p.goneAt),
    ])),
  ];
  ctx.result(record, lines);
}
