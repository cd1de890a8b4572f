// `valise admin hold|release|holds` (legal holds) and `valise admin retention report`: run on the server host
// through the server's own services (see admin.ts), like `valise admin fsck`.
import type { CliContext } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { formatBytes } from '../progress.js';
import { printable } from '../terminal-text.js';
import { formatTable } from './transfers.js';
import { loadServerAdmin, openServer, type ServerAdminModule, type ServerContextLike } from './admin.js';

/** An active hold, as the server's `listLegalHolds` gives it. */
export interface HoldInfo {
  holdId: string;
  transferId: string;
  reason: string;
  /** The member who placed it; null when placed from the server's command line (the audit log names the user). */
  placedBy: string | null;
  placedAt: number;
  transferState: string;
  dataClass: string;
  senderEmail: string;
  expiresAt: number | null;
  closeReason: string | null;
}

export interface PlacedHoldInfo {
  holdId: string;
  transferId: string;
  reason: string;
  placedAt: number;
  transferState: string;
  expiresAt: number | null;
  pastDeadline: boolean;
}

export interface ReleasedHoldInfo {
  holdId: string;
  transferId: string;
  reason: string;
  releasedAt: number;
  pastDeadline: boolean;
  /** null: it was not past its deadline, so nothing was purged. */
  purged: boolean | null;
}

/** What `serverRetentionReport` answers (the server's RetentionReport). */
export interface RetentionReportInfo {
  generatedAt: number;
  live: {
    transfers: number;
    bytes: number;
    byClass: Array<{ dataClass: string; transfers: number; bytes: number; ages: Array<{ age: string; transfers: number; bytes: number }> }>;
  };
  overdue: {
    graceMs: number;
    count: number;
    unheld: number;
    listLimit: number;
    transfers: Array<{ transferId: string; dataClass: string; state: string; reason: string; deadlineAt: number; lateMs: number; held: boolean }>;
  };
  holds: HoldInfo[];
  purgeLag: { windowMs: number; count: number; p50Ms: number | null; p90Ms: number | null; p99Ms: number | null; maxMs: number | null };
  lastPurgeRun: null | { instance: string; startedAt: number; finishedAt: number | null; closed: number; purged: number; failed: number };
}

type RetentionAdmin = ServerAdminModule & Required<Pick<ServerAdminModule, 'placeLegalHold' | 'releaseLegalHold' | 'listLegalHolds' | 'serverRetentionReport'>>;

async function loadRetentionAdmin(): Promise<RetentionAdmin> {
  const server = await loadServerAdmin();
  for (const name of ['placeLegalHold', 'releaseLegalHold', 'listLegalHolds', 'serverRetentionReport'] as const) {
    if (typeof server[name] !== 'function') throw new CliError(EXIT.unexpected, `this version of the Valise server does not provide legal holds and retention reports (${name})`);
  }
  return server as RetentionAdmin;
}

/** Runs `fn` on the server's context; the server's refusals become exit codes (unknown transfer 4, refused 2). */
async function withServer<T>(ctx: CliContext, fn: (server: RetentionAdmin, serverCtx: ServerContextLike) => Promise<T>): Promise<T> {
  const server = await loadRetentionAdmin();
  const serverCtx = await openServer(ctx, server);
  try {
    return await fn(server, serverCtx);
  } catch (error) {
    throw refusal(error) ?? error;
  } finally {
    await serverCtx.close?.();
  }
}

/** The server's AppError (code + detail) as a CliError; undefined for anything else. */
function refusal(error: unknown): CliError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (!(error instanceof Error) || typeof (error as { status?: unknown }).status !== 'number' || typeof code !== 'string') return undefined;
  const exit: ExitCode = code === 'not_found' ? EXIT.gone : code === 'validation_failed' || code === 'conflict' ? EXIT.usage : EXIT.unexpected;
  return new CliError(exit, printable(error.message), { cause: error });
}

export async function runAdminHold(ctx: CliContext, cmd: { transferId: string; reason: string }): Promise<void> {
  const hold = await withServer(ctx, (server, serverCtx) => server.placeLegalHold(serverCtx, cmd.transferId, cmd.reason));
  const state = hold.pastDeadline ? `${hold.transferState}, past its deadline: kept only by this hold` : `${hold.transferState}${hold.expiresAt === null ? '' : `, expires ${utc(hold.expiresAt)} UTC`}`;
  ctx.result(hold, `Held ${hold.transferId} (${state}). It will not be purged until released; it still stops working at its expiry.`);
}

/** Exit code 5 when the transfer was due and its purge failed (the purge job retries it). */
export async function runAdminRelease(ctx: CliContext, cmd: { transferId: string; reason: string }): Promise<ExitCode> {
  const released = await withServer(ctx, (server, serverCtx) => server.releaseLegalHold(serverCtx, cmd.transferId, cmd.reason));
  const outcome = released.purged === true ? ' It was past its deadline and has been purged.'
    : released.purged === false ? ' It is past its deadline, but the purge failed: the purge job retries it.' : '';
  ctx.result(released, `Released the hold on ${released.transferId}.${outcome}`);
  return released.purged === false ? EXIT.integrity : EXIT.ok;
}

export async function runAdminHolds(ctx: CliContext): Promise<void> {
  const holds = await withServer(ctx, (server, serverCtx) => server.listLegalHolds(serverCtx));
  if (holds.length === 0 && !ctx.json) {
    ctx.note('No active legal hold.');
    return;
  }
  ctx.result({ holds }, holdTable(holds));
}

/** Exit code 5 when a transfer is overdue and not held: its deletion is not happening. */
export async function runAdminRetentionReport(ctx: CliContext): Promise<ExitCode> {
  const report = await withServer(ctx, (server, serverCtx) => server.serverRetentionReport(serverCtx));
  ctx.result(report, describeReport(report));
  if (report.overdue.unheld === 0) return EXIT.ok;
  ctx.note(`valise: ${report.overdue.unheld} transfer${report.overdue.unheld === 1 ? ' is' : 's are'} past the deadline and not purged (see the report)`);
  return EXIT.integrity;
}

function describeReport(r: RetentionReportInfo): string[] {
  const lines = [`Retention report, ${utc(r.generatedAt)} UTC`, '', `Live transfers (not purged yet): ${r.live.transfers}, ${formatBytes(r.live.bytes)} encrypted`];
  const ages = r.live.byClass[0]?.ages.map((a) => a.age) ?? [];
  lines.push(...indent(formatTable(['CLASS', ...ages.map((a) => `AGE ${a}`), 'TOTAL'], r.live.byClass.map((c) => [
    c.dataClass, ...c.ages.map((a) => cell(a.transfers, a.bytes)), cell(c.transfers, c.bytes),
  ]))));

  lines.push('', `Overdue (past the deadline by more than ${span(r.overdue.graceMs)}, not purged): ${r.overdue.count === 0 ? 'none' : `${r.overdue.count}, ${r.overdue.count - r.overdue.unheld} of them held`}`);
  if (r.overdue.transfers.length > 0) {
    lines.push(...indent(formatTable(['TRANSFER', 'CLASS', 'STATE', 'REASON', 'DEADLINE (UTC)', 'LATE', 'HELD'], r.overdue.transfers.map((t) => [
      t.transferId, t.dataClass, t.state, t.reason, utc(t.deadlineAt), span(t.lateMs), t.held ? 'yes' : 'NO',
    ]))));
    if (r.overdue.count > r.overdue.transfers.length) lines.push(`  … and ${r.overdue.count - r.overdue.transfers.length} more (--json lists the same ${r.overdue.listLimit})`);
  }

  lines.push('', `Legal holds: ${r.holds.length === 0 ? 'none' : r.holds.length}`);
  if (r.holds.length > 0) lines.push(...indent(holdTable(r.holds)));

  const lag = r.purgeLag;
  lines.push('', lag.count === 0
    ? `Purge lag (last ${span(lag.windowMs)}): no purge recorded`
    : `Purge lag (last ${span(lag.windowMs)}, ${lag.count} purge${lag.count === 1 ? '' : 's'}): p50 ${span(lag.p50Ms!)}, p90 ${span(lag.p90Ms!)}, p99 ${span(lag.p99Ms!)}, max ${span(lag.maxMs!)}`);
  const run = r.lastPurgeRun;
  lines.push(run === null
    ? 'Last purge run: none recorded'
    : `Last purge run: ${utc(run.startedAt)} UTC on ${printable(run.instance)}, ${run.finishedAt === null ? 'not finished' : `took ${span(run.finishedAt - run.startedAt)}`}; closed ${run.closed}, purged ${run.purged}, failed ${run.failed}`);
  return lines;
}

function holdTable(holds: readonly HoldInfo[]): string[] {
  return formatTable(['TRANSFER', 'CLASS', 'STATE', 'EXPIRES (UTC)', 'SENDER', 'HELD SINCE (UTC)', 'BY', 'REASON'], holds.map((h) => [
    h.transferId, h.dataClass, h.closeReason === null ? h.transferState : `${h.transferState} (${h.closeReason})`,
    h.expiresAt === null ? '-' : utc(h.expiresAt), printable(h.senderEmail), utc(h.placedAt), printable(h.placedBy ?? 'server host'), printable(h.reason),
  ]));
}

function cell(transfers: number, bytes: number): string {
  return transfers === 0 ? '0' : `${transfers} (${formatBytes(bytes)})`;
}

function indent(lines: readonly string[]): string[] {
  return lines.map((l) => `  ${l}`);
}

function utc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** 850ms, 42s, 12m, 5h, 3d: the largest unit, rounded down. */
function span(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return `${Math.floor(ms / 1000)}s`;
}
