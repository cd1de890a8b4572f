// `valise admin invite EMAIL [--admin]` and `valise admin fsck [--repair]`: run ON THE SERVER HOST, with the
// server's own configuration (VALISE_* environment), directly through the server's services.
import { serverEnvironment } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import type { HoldInfo, PlacedHoldInfo, ReleasedHoldInfo, RetentionReportInfo } from './admin-retention.js';

/**
 * What the CLI expects from `@valise/server` (see apps/cli/README.md). Loaded with a computed specifier so
 * that the CLI neither compiles against the server nor loads its dependencies for any other command.
 */
export interface ServerAdminModule {
  loadConfig(env?: Readonly<Record<string, string | undefined>>): unknown;
  createServerContext(config: unknown, options?: { logger?: unknown }): Promise<ServerContextLike> | ServerContextLike;
  inviteMember(ctx: ServerContextLike, email: string, options: { admin: boolean }): Promise<InvitationResult>;
  /** Compares the blob store with the database (orphan and missing blobs), and repairs when asked. */
  checkServerStorage?(ctx: ServerContextLike, options: { repair: boolean; graceMs: number }): Promise<StorageReport>;
  /** Data classes (retention policies): list, and create or change one (audited). */
  listDataClasses?(ctx: ServerContextLike): Promise<{ classes: DataClassInfo[]; defaultClass: string }>;
  changeDataClass?(ctx: ServerContextLike, name: string, changes: Partial<Omit<DataClassInfo, 'name'>>, options: { create: boolean }): Promise<{ dataClass: DataClassInfo; transfersShortened: number }>;
  /** Legal holds (audited) and the retention report: see admin-retention.ts. */
  placeLegalHold?(ctx: ServerContextLike, transferId: string, reason: string): Promise<PlacedHoldInfo>;
  releaseLegalHold?(ctx: ServerContextLike, transferId: string, reason: string): Promise<ReleasedHoldInfo>;
  listLegalHolds?(ctx: ServerContextLike): Promise<HoldInfo[]>;
  serverRetentionReport?(ctx: ServerContextLike): Promise<RetentionReportInfo>;
  /** The server's logger factory, when exported: its lines then go to stderr, never mixed with the link on stdout. */
  createLogger?(options: { level: string; stream: { write(line: string): unknown } }): unknown;
}

export interface ServerContextLike {
  close?(): Promise<void> | void;
}

export interface InvitationResult {
  /** `<public url>/enroll#<token>`: give it to the new member over a trusted channel. */
  enrollmentLink: string;
  expiresAt?: number;
}

/** A data class as the server's `listDataClasses` gives it (durations in milliseconds). */
export interface DataClassInfo {
  name: string;
  description: string;
  maxExpiryMs: number;
  defaultExpiryMs: number;
  maxDownloads: number;
  deleteWhenDownloaded: boolean;
  allowOutsideRecipients: boolean;
}

/** What `checkServerStorage` answers (the server's StorageCheckReport). */
export interface StorageReport {
  blobsStored: number;
  partsRecorded: number;
  orphanBlobs: Array<{ blobKey: string; size: number | null }>;
  missingBlobs: Array<{ transferId: string; state: string; fileId: string; part: number; blobKey: string }>;
  repaired: null | { blobsDeleted: number; bytesDeleted: number; blobsClaimedMeanwhile: number; partsForgotten: number; damagedTransfers: string[] };
}

export async function loadServerAdmin(): Promise<ServerAdminModule> {
  const specifier = '@valise/server';
  let mod: Partial<ServerAdminModule>;
  try {
    mod = (await import(specifier)) as Partial<ServerAdminModule>;
  } catch (e) {
    throw new CliError(EXIT.unexpected, '`valise admin` runs on the server host: the Valise server is not installed here', { cause: e });
  }
  if (typeof mod.loadConfig !== 'function' || typeof mod.createServerContext !== 'function' || typeof mod.inviteMember !== 'function') {
    throw new CliError(EXIT.unexpected, 'this version of the Valise server does not provide member invitations (inviteMember)');
  }
  return mod as ServerAdminModule;
}

/** The server's context, from the server's own environment; its log lines go to stderr (stdout is the result). */
export async function openServer(ctx: CliContext, server: ServerAdminModule): Promise<ServerContextLike> {
  // The server's variables only: an administrator who also uses the CLI on that host may have VALISE_CONFIG_DIR set.
  const config = server.loadConfig(serverEnvironment(ctx.io.env));
  const level = (config as { logLevel?: unknown }).logLevel;
  const logger = server.createLogger?.({ level: typeof level === 'string' ? level : 'info', stream: ctx.io.stderr });
  return server.createServerContext(config, logger === undefined ? {} : { logger });
}

export async function runAdminInvite(ctx: CliContext, cmd: { email: string; admin: boolean }): Promise<void> {
  const server = await loadServerAdmin();
  const serverCtx = await openServer(ctx, server);
  try {
    const invitation = await server.inviteMember(serverCtx, cmd.email, { admin: cmd.admin });
    ctx.result(
      { email: cmd.email, admin: cmd.admin, enrollmentLink: invitation.enrollmentLink, expiresAt: invitation.expiresAt ?? null },
      invitation.enrollmentLink,
    );
    if (!ctx.json) {
      const until = invitation.expiresAt ? ` It works until ${new Date(invitation.expiresAt).toISOString()}.` : '';
      ctx.note(`Invitation created for ${cmd.email}${cmd.admin ? ' (administrator)' : ''}.${until}`);
      ctx.note('Give them the link above; they run `valise enroll "<link>"` or open it in a browser.');
    }
  } finally {
    await serverCtx.close?.();
  }
}

/** Exit code 5 when something is amiss and left as it is (the report says what), else 0. */
export async function runAdminFsck(ctx: CliContext, cmd: { repair: boolean; graceSeconds: number }): Promise<ExitCode> {
  const server = await loadServerAdmin();
  if (typeof server.checkServerStorage !== 'function') {
    throw new CliError(EXIT.unexpected, 'this version of the Valise server does not provide a storage check (checkServerStorage)');
  }
  const serverCtx = await openServer(ctx, server);
  let report: StorageReport;
  try {
    report = await server.checkServerStorage(serverCtx, { repair: cmd.repair, graceMs: cmd.graceSeconds * 1000 });
  } finally {
    await serverCtx.close?.();
  }
  ctx.result(report, describeReport(report));
  const left = report.repaired === null
    ? report.orphanBlobs.length + report.missingBlobs.length
    : report.repaired.damagedTransfers.length;
  if (left === 0) return EXIT.ok;
  ctx.note(`valise: ${report.repaired === null ? 'storage and database disagree (see the report)' : 'finalized transfers miss stored parts (see the report)'}`);
  return EXIT.integrity;
}

function describeReport(r: StorageReport): string[] {
  const lines = [`Checked ${r.blobsStored} stored objects against ${r.partsRecorded} recorded parts.`];
  if (r.orphanBlobs.length === 0 && r.missingBlobs.length === 0) return [...lines, 'Nothing amiss.'];
  if (r.orphanBlobs.length > 0) {
    const bytes = r.orphanBlobs.reduce((n, o) => n + (o.size ?? 0), 0);
    lines.push(`Orphan objects (stored, part of no transfer): ${r.orphanBlobs.length}, ${bytes} bytes`);
    for (const o of r.orphanBlobs) lines.push(`  ${o.blobKey}  ${o.size ?? '?'} bytes`);
  }
  if (r.missingBlobs.length > 0) {
    lines.push(`Missing objects (recorded, not in storage): ${r.missingBlobs.length}`);
    for (const m of r.missingBlobs) lines.push(`  transfer ${m.transferId} (${m.state}), file ${m.fileId}, part ${m.part + 1}`);
  }
  if (r.repaired === null) {
    lines.push('Nothing was changed. `valise admin fsck --repair` deletes the orphans and forgets lost parts of unfinished uploads.');
  } else {
    const done = r.repaired;
    lines.push(`Repaired: ${done.blobsDeleted} orphan objects deleted (${done.bytesDeleted} bytes), ${done.partsForgotten} lost parts forgotten` +
      ` (their uploads will send them again)${done.blobsClaimedMeanwhile > 0 ? `; ${done.blobsClaimedMeanwhile} objects were recorded meanwhile and kept` : ''}.`);
    if (done.damagedTransfers.length > 0) lines.push(`Left as they are (finalized, a part is lost; revoke them and ask the sender to send again): ${done.damagedTransfers.join(', ')}`);
  }
  return lines;
}
