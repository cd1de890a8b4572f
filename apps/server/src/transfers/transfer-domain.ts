// Wires the transfer domain (transfers, parts, gate, downloads, purge) from the server context, once (see domain.ts).
import type { ServerContext } from '../context.js';
import type { DomainPlugin } from '../http/app.js';
import { DownloadService } from '../gate/download.service.js';
import { downloadRoutes } from '../gate/download.routes.js';
import { GateService } from '../gate/gate.service.js';
import { gateRoutes } from '../gate/gate.routes.js';
import { InboxNotifier } from '../inbox/inbox-notices.js';
import { BackgroundMailer } from '../mail/background-mailer.js';
import { NotifyJob } from '../jobs/notify.job.js';
import { PurgeJob } from '../jobs/purge.job.js';
import { createShareKeyShredder } from '../jobs/share-key-shredder.js';
import type { MemberKeyService } from '../members/member-keys.service.js';
import { DataClassService } from '../retention/data-class.service.js';
import type { TeamDirectory } from '../teams/team-directory.js';
import { TeamNotifier } from '../teams/team-mail.js';
import type { MemberAuth } from './member-auth.js';
import { PartService } from './part.service.js';
import { TransferViewService } from './transfer-view.service.js';
import { transferRoutes } from './transfer.routes.js';
import { TransferService } from './transfer.service.js';

/** Shaped like main's ServerJob: started after listen, stopped (and awaited) at shutdown. */
export interface TransferJob {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}

export interface TransferDomain {
  readonly dataClasses: DataClassService;
  readonly transfers: TransferService;
  readonly views: TransferViewService;
  readonly parts: PartService;
  readonly gate: GateService;
  readonly downloads: DownloadService;
  readonly purge: PurgeJob;
  /** The e-mails telling member recipients that a transfer waits in their inbox. */
  readonly inboxNotices: InboxNotifier;
  /** The e-mails telling a team's members that a transfer or a deposit waits for the team. */
  readonly teamNotices: TeamNotifier;
  /** Mail that leaves after its answer (codes, inbox notices; drop boxes use it too). */
  readonly mailLater: BackgroundMailer;
  /** The HTTP routes: /transfers (members), /open (the gate), /download (grant holders). */
  readonly plugins: readonly DomainPlugin[];
  readonly jobs: readonly TransferJob[];
}

export function createTransferDomain(ctx: ServerContext, auth: MemberAuth, memberKeys: MemberKeyService, teams?: TeamDirectory): TransferDomain {
  const { config, database: handle, keystore, clock, blobs, mailer, audit, logger } = ctx;
  const dataClasses = new DataClassService({ handle, audit, clock, limits: config.limits });
  const mailLater = new BackgroundMailer({ mailer, logger });
  const inboxNotices = new InboxNotifier({ mailLater, publicUrl: config.publicUrl });
  const teamNotices = new TeamNotifier({ mailLater, publicUrl: config.publicUrl });
  const transfers = new TransferService({
    handle, keystore, clock, audit, limits: config.limits, dataClasses, publicUrl: config.publicUrl, memberKeys, inboxNotices,
    ...(teams ? { teams, teamNotices } : {}),
  });
  const views = new TransferViewService({ handle });
  const parts = new PartService({ handle, blobs, clock, logger });
  const gate = new GateService({ handle, keystore, clock, mailLater, logger });
  const downloads = new DownloadService({ handle, keystore, clock, blobs });
  const purge = new PurgeJob({ handle, blobs, clock, audit, logger, intervalMs: config.purgeIntervalMs });
  const notify = new NotifyJob({ handle, mailer, clock, logger, intervalMs: config.purgeIntervalMs, expiryWarningMs: config.expiryWarningMs });
  // Mail that left after its answer: shutdown waits for it before the mailer closes.
  const backgroundMail: TransferJob = { name: 'background-mail', start: () => undefined, stop: () => mailLater.drain() };
  return {
    dataClasses, transfers, views, parts, gate, downloads, purge, inboxNotices, teamNotices, mailLater,
    plugins: [transferRoutes({ auth, transfers, views, parts }), gateRoutes({ gate, auth }), downloadRoutes(downloads)],
    jobs: [purge, backgroundMail, notify, createShareKeyShredder(ctx, dataClasses)],
  };
}
