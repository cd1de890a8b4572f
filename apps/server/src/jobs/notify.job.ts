// The notification job: e-mails each sender when a recipient has downloaded, when a transfer is about to expire
// with nothing downloaded (VALISE_EXPIRY_WARNING), and when a transfer was purged, with its deletion record. A
// deposit into a drop box has no sender: its box's owners get the warning and the record instead.
// Delivery is at least once: the marker is set only after the mailer accepted the message, so a crash (or a failed
// update) between the two sends that message again on the next run; a message is never lost for it.
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { runUnlessRunningElsewhere } from '../db/transaction.js';
import type { Logger } from '../logger.js';
import { PeriodicRun } from './periodic-run.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import { downloadedMail, expiryWarningMail, purgedMail, type TransferFacts } from './notify-mail.js';
import { NotifyRepository, type TransferParties } from './notify.repository.js';

/** Rows read per query; a run keeps reading until none is left. */
const BATCH = 100;

export interface NotifyJobDeps {
  readonly handle: DatabaseHandle;
  readonly mailer: Mailer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Time between two runs (the purge interval: a deletion is told about soon after it happened). */
  readonly intervalMs: number;
  /** How long before expiry an unopened transfer is warned about; null: never. */
  readonly expiryWarningMs: number | null;
}

export interface NotifyReport {
  /** True when another instance held the lock, so this run sent nothing. */
  readonly skipped: boolean;
  readonly downloads: number;
  readonly expiryWarnings: number;
  readonly deletions: number;
  /** Mails that could not be sent (or marked); tried again next run. */
  readonly failed: number;
}

const NOTHING: NotifyReport = { skipped: true, downloads: 0, expiryWarnings: 0, deletions: 0, failed: 0 };

export class NotifyJob {
  readonly name = 'notify';
  readonly #deps: NotifyJobDeps;
  readonly #repo: NotifyRepository;
  readonly #periodic: PeriodicRun<NotifyReport>;

  constructor(deps: NotifyJobDeps) {
    this.#deps = deps;
    this.#periodic = new PeriodicRun(() => this.#exclusive(), { intervalMs: deps.intervalMs, logger: deps.logger, failureMessage: 'notification run failed' });
    this.#repo = new NotifyRepository(deps.handle);
  }

  /** Runs on its timer; the timer does not keep the process alive. */
  start(): void {
    this.#periodic.start();
  }

  /** Stops the timer and waits for a run in progress to finish (graceful shutdown). */
  stop(): Promise<void> {
    return this.#periodic.stop();
  }

  /** One run now. Runs never overlap in this process; with PostgreSQL, never across instances either. */
  runOnce(): Promise<NotifyReport> {
    return this.#periodic.runOnce();
  }

  #exclusive(): Promise<NotifyReport> {
    return runUnlessRunningElsewhere(this.#deps.handle, 'notify-job', () => this.#run(), () => NOTHING);
  }

  async #run(): Promise<NotifyReport> {
    const { clock, expiryWarningMs } = this.#deps;
    const counts = { failed: 0 };
    // A deposit's owners are its recipients: nobody is told that they downloaded it themselves (marked, not mailed).
    const downloads = await this.#each(counts, (after) => this.#repo.downloads(after, BATCH), (n) => n.recipientId, (n, parties) => ({
      to: parties.deposit === null ? addressees(parties) : [],
      mail: (facts) => downloadedMail(facts, { recipient: n.recipient, downloadedAt: n.downloadedAt, expiresAt: n.expiresAt, live: n.state === 'ready' }),
      mark: (now) => this.#repo.markDownloadNotified(n.recipientId, now),
    }));
    // A team is one recipient: its first member's download is told once (a deposit's team, like its owners, is not).
    const teamDownloads = await this.#each(counts, (after) => this.#repo.teamDownloads(after, BATCH), (n) => `${n.transferId}:${n.teamId}`, (n, parties) => ({
      to: parties.deposit === null ? addressees(parties) : [],
      mail: (facts) => downloadedMail(facts, { recipient: `The team "${n.teamName}"`, downloadedAt: n.downloadedAt, expiresAt: n.expiresAt, live: n.state === 'ready' }),
      mark: (now) => this.#repo.markTeamDownloadNotified(n.transferId, n.teamId, now),
    }));
    const expiryWarnings = expiryWarningMs === null ? 0 : await this.#each(counts,
      (after) => this.#repo.expiring(clock.now(), expiryWarningMs, after, BATCH), (n) => n.transferId, (n, parties) => ({
        to: addressees(parties),
        mail: (facts) => expiryWarningMail(facts, { expiresAt: n.expiresAt, now: clock.now() }),
        mark: (now) => this.#repo.markExpiryWarned(n.transferId, now),
      }));
    const deletions = await this.#each(counts, (after) => this.#repo.deletions(after, BATCH), (n) => n.transferId, (n, parties) => ({
      to: addressees(parties),
      mail: (facts) => purgedMail(facts, n),
      mark: (now) => this.#repo.markDeletionNotified(n.transferId, now),
    }));
    const report = { skipped: false, downloads: downloads + teamDownloads, expiryWarnings, deletions, failed: counts.failed };
    if (downloads + teamDownloads + expiryWarnings + deletions + counts.failed > 0) this.#deps.logger.info(report, 'notification run');
    return report;
  }

  /**
   * Sends the mails each row is owed (one per addressee: the sender, or a deposit's owners), marking the row once
   * the mailer accepted them all; returns how many rows were handled.
   */
  async #each<T extends { readonly transferId: string }>(
    counts: { failed: number },
    batch: (after: string) => Promise<T[]>,
    key: (row: T) => string,
    notice: (row: T, parties: TransferParties) => { to: readonly string[]; mail: (facts: TransferFacts) => MailMessage; mark: (now: number) => Promise<void> },
  ): Promise<number> {
    const { mailer, clock, logger } = this.#deps;
    let sent = 0;
    let after = '';
    for (let rows = await batch(after); rows.length > 0; rows = await batch(after)) {
      for (const row of rows) {
        after = key(row);
        const { transferId } = row;
        try {
          const parties = await this.#repo.parties(transferId);
          if (parties === undefined) continue;
          const { to, mail, mark } = notice(row, parties);
          for (const address of to) {
            await mailer.send(mail({ transferId, to: address, sentAt: parties.sentAt, recipients: parties.recipients, teams: parties.teams, deposit: parties.deposit }));
          }
          await mark(clock.now());
          if (to.length > 0) sent++;
        } catch (error) {
          counts.failed++;
          // Never the body: the transfer id is enough to find what failed.
          logger.error({ err: error, transferId }, 'notification not sent; will retry');
        }
      }
    }
    return sent;
  }
}

/** Who is told about a transfer: its sender; for a deposit, the box's owners (its recipients) or its team's members. */
function addressees(parties: TransferParties): string[] {
  if (parties.deposit !== null) return [...parties.recipients.map((r) => r.email), ...(parties.deposit.team?.memberEmails ?? [])];
  return parties.senderEmail === null ? [] : [parties.senderEmail];
}
