// SQL for the notification job: what is owed a mail (marker null), and the markers set once the mail is accepted.
// Each query reads a batch after a key, in key order, so a mail that keeps failing is retried next run without
// blocking the others in this one.
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';
import type { TransferState } from '../db/schema.js';
import type { Executor } from '../transfers/transfer.repository.js';
import { deletionFactsOf, type DeletionFacts } from '../retention/deletion-record.repository.js';

export interface DownloadNotice {
  readonly recipientId: string;
  readonly recipient: string;
  readonly downloadedAt: number;
  readonly transferId: string;
  readonly state: TransferState;
  readonly expiresAt: number | null;
}

/** A team that downloaded (its first member's confirmed download), its sender not told yet. */
export interface TeamDownloadNotice {
  readonly transferId: string;
  readonly teamId: string;
  readonly teamName: string;
  readonly downloadedAt: number;
  readonly state: TransferState;
  readonly expiresAt: number | null;
}

export interface ExpiryNotice {
  readonly transferId: string;
  readonly expiresAt: number;
}

/** A deletion record not yet mailed. */
export interface DeletionNotice extends DeletionFacts {
  readonly transferId: string;
}

export interface TransferParties {
  /** The sender's address; null for a deposit. */
  readonly senderEmail: string | null;
  readonly sentAt: number;
  readonly recipients: Array<{ email: string; downloadedAt: number | null }>;
  /** The teams it was sent to (or whose box received the deposit), each one recipient. */
  readonly teams: Array<{ name: string; downloadedAt: number | null }>;
  /**
   * A deposit: its box's name and the depositor's address. Its recipients are the box's owners; a team's box has
   * none, its team's current members are told instead.
   */
  readonly deposit: {
    readonly boxName: string;
    readonly depositorEmail: string;
    readonly team: { readonly name: string; readonly memberEmails: readonly string[] } | null;
  } | null;
}

export class NotifyRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  /** Recipients who downloaded and whose sender was not told yet. */
  async downloads(after: string, limit: number): Promise<DownloadNotice[]> {
    const rows = await this.#db
      .selectFrom('recipients as r')
      .innerJoin('transfers as t', 't.id', 'r.transfer_id')
      .select(['r.id as recipientId', 'r.email as recipient', 'r.downloaded_at as downloadedAt', 't.id as transferId', 't.state', 't.expires_at as expiresAt'])
      .where('r.downloaded_at', 'is not', null)
      .where('r.download_notified_at', 'is', null)
      .where('r.id', '>', after)
      .orderBy('r.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, downloadedAt: Number(r.downloadedAt), expiresAt: r.expiresAt === null ? null : Number(r.expiresAt) }));
  }

  /** Teams that downloaded and whose sender was not told yet, keyed `<transferId>:<teamId>` (`after` likewise). */
  async teamDownloads(after: string, limit: number): Promise<TeamDownloadNotice[]> {
    const [afterTransfer = '', afterTeam = ''] = after.split(':');
    const rows = await this.#db
      .selectFrom('transfer_teams as tt')
      .innerJoin('transfers as t', 't.id', 'tt.transfer_id')
      .innerJoin('teams as team', 'team.id', 'tt.team_id')
      .select(['tt.transfer_id', 'tt.team_id', 'team.name', 'tt.downloaded_at', 't.state', 't.expires_at'])
      .where('tt.downloaded_at', 'is not', null)
      .where('tt.download_notified_at', 'is', null)
      .where((eb) => eb.or([
        eb('tt.transfer_id', '>', afterTransfer),
        eb.and([eb('tt.transfer_id', '=', afterTransfer), eb('tt.team_id', '>', afterTeam)]),
      ]))
      .orderBy('tt.transfer_id')
      .orderBy('tt.team_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      transferId: r.transfer_id, teamId: r.team_id, teamName: r.name, downloadedAt: Number(r.downloaded_at), state: r.state,
      expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    }));
  }

  /**
   * Ready transfers nobody has downloaded from, expiring within `warningMs` (and within the second half of their
   * life, so a short-lived transfer is not warned about the moment it is sent), not warned yet.
   */
  async expiring(now: number, warningMs: number, after: string, limit: number): Promise<ExpiryNotice[]> {
    const rows = await this.#db
      .selectFrom('transfers')
      .select(['id', 'expires_at'])
      .where('state', '=', 'ready')
      .where('expires_at', '>', now)
      .where('expires_at', '<=', now + warningMs)
      .where('downloads_used', '=', 0)
      .where('expiry_warned_at', 'is', null)
      .where(sql<boolean>`2 * (expires_at - ${now}) <= expires_at - coalesce(finalized_at, created_at)`)
      .where('id', '>', after)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ transferId: r.id, expiresAt: Number(r.expires_at) }));
  }

  /** Deletion records not yet mailed to the sender. */
  async deletions(after: string, limit: number): Promise<DeletionNotice[]> {
    const rows = await this.#db
      .selectFrom('deletion_records')
      .select(['transfer_id', 'data_class', 'reason', 'deadline_at', 'purged_at', 'lag_ms', 'blob_count', 'bytes', 'parts'])
      .where('notified_at', 'is', null)
      .where('transfer_id', '>', after)
      .orderBy('transfer_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ transferId: r.transfer_id, ...deletionFactsOf(r) }));
  }

  /**
   * The sender's address (or a deposit's box and depositor), when it was sent, and its recipients (what a notice
   * names the transfer by).
   */
  async parties(transferId: string): Promise<TransferParties | undefined> {
    const transfer = await this.#db
      .selectFrom('transfers')
      .leftJoin('users', 'users.id', 'transfers.sender_id')
      .leftJoin('drop_boxes', 'drop_boxes.id', 'transfers.box_id')
      .leftJoin('teams', 'teams.id', 'drop_boxes.owner_team_id')
      .select(['users.email', 'transfers.created_at', 'transfers.box_id', 'transfers.depositor_email', 'drop_boxes.name as boxName', 'teams.id as teamId', 'teams.name as teamName'])
      .where('transfers.id', '=', transferId)
      .executeTakeFirst();
    if (transfer === undefined) return undefined;
    const recipients = await this.#db.selectFrom('recipients').select(['email', 'downloaded_at']).where('transfer_id', '=', transferId).orderBy('email').execute();
    const teams = await this.#db.selectFrom('transfer_teams as tt').innerJoin('teams', 'teams.id', 'tt.team_id')
      .select(['teams.name', 'tt.downloaded_at']).where('tt.transfer_id', '=', transferId).orderBy('teams.name_key').execute();
    const isDeposit = transfer.box_id !== null && transfer.boxName !== null && transfer.depositor_email !== null;
    if (!isDeposit && transfer.email === null) return undefined;
    const team = transfer.teamId === null || transfer.teamName === null ? null : {
      name: transfer.teamName,
      memberEmails: (await this.#db.selectFrom('team_members as m').innerJoin('users as u', 'u.id', 'm.user_id')
        .select('u.email').where('m.team_id', '=', transfer.teamId).orderBy('u.email').execute()).map((r) => r.email),
    };
    return {
      senderEmail: transfer.email,
      sentAt: Number(transfer.created_at),
      recipients: recipients.map((r) => ({ email: r.email, downloadedAt: r.downloaded_at === null ? null : Number(r.downloaded_at) })),
      teams: teams.map((r) => ({ name: r.name, downloadedAt: r.downloaded_at === null ? null : Number(r.downloaded_at) })),
      deposit: isDeposit ? { boxName: transfer.boxName as string, depositorEmail: transfer.depositor_email as string, team } : null,
    };
  }

  async markDownloadNotified(recipientId: string, now: number): Promise<void> {
    await this.#db.updateTable('recipients').set({ download_notified_at: now }).where('id', '=', recipientId).where('download_notified_at', 'is', null).execute();
  }

  async markTeamDownloadNotified(transferId: string, teamId: string, now: number): Promise<void> {
    await this.#db.updateTable('transfer_teams').set({ download_notified_at: now })
      .where('transfer_id', '=', transferId).where('team_id', '=', teamId).where('download_notified_at', 'is', null).execute();
  }

  async markExpiryWarned(transferId: string, now: number): Promise<void> {
    await this.#db.updateTable('transfers').set({ expiry_warned_at: now }).where('id', '=', transferId).where('expiry_warned_at', 'is', null).execute();
  }

  async markDeletionNotified(transferId: string, now: number): Promise<void> {
    await this.#db.updateTable('deletion_records').set({ notified_at: now }).where('transfer_id', '=', transferId).where('notified_at', 'is', null).execute();
  }
}
