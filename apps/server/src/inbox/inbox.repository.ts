// SQL for the member inbox: the transfers a member holds a recipient's member slot in, the deposits into the drop
// boxes the member owns, and what opening one needs.
import type { DatabaseHandle } from '../db/database.js';
import type { Row } from '../db/schema.js';
import type { Executor } from '../transfers/transfer.repository.js';

export type MemberSlotRow = Row<'member_slots'>;

/** A transfer or a deposit as the inbox lists it, before its files are counted. */
export interface InboxRow {
  readonly transferId: string;
  readonly kind: 'transfer' | 'deposit';
  /** A member's transfer: who sent it. */
  readonly sender: { readonly memberId: string; readonly email: string } | null;
  /** A deposit: into which box, from whom (unverified apart from the address). */
  readonly deposit: { readonly boxId: string; readonly boxName: string; readonly depositorEmail: string; readonly depositorName: string } | null;
  readonly state: 'ready' | 'closed';
  readonly closeReason: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly downloadedAt: number | null;
  /** Reaches the member through this team (a team slot, or a box the team owns). */
  readonly team: { readonly teamId: string; readonly name: string } | null;
}

/** A team slot a member may open: the transfer was sent to a team they belong to now. */
export interface TeamSlotOfMember {
  readonly teamId: string;
  readonly teamName: string;
  readonly slotId: string;
  readonly epoch: number;
  readonly wrapped: Uint8Array;
}

/** A deposit into a box owned by a team the member belongs to now. */
export interface TeamDeposit {
  readonly transferId: string;
  readonly boxId: string;
  readonly teamId: string;
  readonly teamName: string;
}

/** A deposit a member may open: they own its box and are one of its recipients (the box's owners when deposited). */
export interface OwnedDeposit {
  readonly transferId: string;
  readonly boxId: string;
  readonly recipientId: string;
}

export class InboxRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  /**
   * The transfers where `userId` has a member slot as a recipient (the sender's self slots are not inbox entries),
   * and the deposits into the boxes `userId` owns and was made a recipient of; finalized and not purged (a purge
   * deletes the slots anyway), newest first.
   */
  async list(userId: string): Promise<InboxRow[]> {
    const transfers = await this.#db
      .selectFrom('member_slots as s')
      .innerJoin('transfers as t', 't.id', 's.transfer_id')
      .innerJoin('users as u', 'u.id', 't.sender_id')
      .innerJoin('recipients as r', 'r.id', 's.recipient_id')
      .select(['t.id', 't.sender_id', 'u.email', 't.state', 't.close_reason', 't.created_at', 't.expires_at', 'r.downloaded_at'])
      .where('s.user_id', '=', userId)
      .where('t.state', 'in', ['ready', 'closed'])
      .execute();
    const deposits = await this.#db
      .selectFrom('drop_box_owner_keys as o')
      .innerJoin('users as u', 'u.id', 'o.user_id')
      .innerJoin('transfers as t', 't.box_id', 'o.box_id')
      .innerJoin('drop_boxes as b', 'b.id', 't.box_id')
      .innerJoin('recipients as r', (join) => join.onRef('r.transfer_id', '=', 't.id').onRef('r.email', '=', 'u.email'))
      .select([
        't.id', 't.box_id', 'b.name', 't.depositor_email', 't.depositor_name', 't.state', 't.close_reason', 't.created_at',
        't.expires_at', 'r.downloaded_at',
      ])
      .where('o.user_id', '=', userId)
      .where('t.state', 'in', ['ready', 'closed'])
      .execute();
    // Through a team the member belongs to now (a removed member sees none of them): transfers holding the team's
    // slot (the sender's own are theirs through the self slot) and deposits into the team's boxes.
    const teamTransfers = await this.#db
      .selectFrom('transfer_teams as tt')
      .innerJoin('team_members as m', 'm.team_id', 'tt.team_id')
      .innerJoin('teams as team', 'team.id', 'tt.team_id')
      .innerJoin('transfers as t', 't.id', 'tt.transfer_id')
      .innerJoin('users as u', 'u.id', 't.sender_id')
      .select(['t.id', 't.sender_id', 'u.email', 't.state', 't.close_reason', 't.created_at', 't.expires_at', 'tt.downloaded_at', 'team.id as teamId', 'team.name as teamName'])
      .where('m.user_id', '=', userId)
      .where('t.sender_id', '<>', userId)
      .where('tt.slot_id', 'is not', null)
      .where('t.state', 'in', ['ready', 'closed'])
      .orderBy('team.name')
      .execute();
    const teamDeposits = await this.#db
      .selectFrom('team_members as m')
      .innerJoin('teams as team', 'team.id', 'm.team_id')
      .innerJoin('drop_boxes as b', 'b.owner_team_id', 'm.team_id')
      .innerJoin('transfers as t', 't.box_id', 'b.id')
      .innerJoin('transfer_teams as tt', (join) => join.onRef('tt.transfer_id', '=', 't.id').onRef('tt.team_id', '=', 'm.team_id'))
      .select([
        't.id', 't.box_id', 'b.name', 't.depositor_email', 't.depositor_name', 't.state', 't.close_reason', 't.created_at', 't.expires_at',
        'tt.downloaded_at', 'team.id as teamId', 'team.name as teamName',
      ])
      .where('m.user_id', '=', userId)
      .where('t.state', 'in', ['ready', 'closed'])
      .execute();
    const own = new Set(transfers.map((r) => r.id));
    const teamOf = (r: { teamId: string; teamName: string }) => ({ teamId: r.teamId, name: r.teamName });
    const rows: InboxRow[] = [
      ...transfers.map((r) => transferEntry(r, r.downloaded_at, null)),
      // A transfer that reaches the member both as a recipient and through a team is listed once, as theirs.
      ...teamTransfers.filter((r) => !own.has(r.id) && (own.add(r.id), true)).map((r) => transferEntry(r, r.downloaded_at, teamOf(r))),
      ...teamDeposits.map((r) => depositEntry(r, r.downloaded_at, teamOf(r))),
      ...deposits.map((r) => depositEntry(r, r.downloaded_at, null)),
    ];
    // Newest first, ties by id: the order the single query used to give.
    return rows.sort((a, b) => b.createdAt - a.createdAt || (a.transferId < b.transferId ? -1 : a.transferId > b.transferId ? 1 : 0));
  }

  /** The member's slot in the transfer, recipient's or self slot; undefined when they have none. */
  async slotOf(transferId: string, userId: string): Promise<MemberSlotRow | undefined> {
    return this.#db.selectFrom('member_slots').selectAll().where('transfer_id', '=', transferId).where('user_id', '=', userId).executeTakeFirst();
  }

  /**
   * The team slot through which `userId` may open the transfer: sent to a team they belong to now, finalized and not
   * purged (the first by team name when several of their teams got it); undefined otherwise.
   */
  async teamSlotOf(transferId: string, userId: string): Promise<TeamSlotOfMember | undefined> {
    const row = await this.#db
      .selectFrom('transfer_teams as tt')
      .innerJoin('team_members as m', 'm.team_id', 'tt.team_id')
      .innerJoin('teams as team', 'team.id', 'tt.team_id')
      .select(['tt.team_id', 'team.name', 'tt.slot_id', 'tt.epoch', 'tt.wrapped'])
      .where('tt.transfer_id', '=', transferId)
      .where('m.user_id', '=', userId)
      .where('tt.slot_id', 'is not', null)
      .orderBy('team.name_key')
      .executeTakeFirst();
    if (!row || row.slot_id === null || row.epoch === null) return undefined;
    return { teamId: row.team_id, teamName: row.name, slotId: row.slot_id, epoch: row.epoch, wrapped: row.wrapped ?? new Uint8Array() };
  }

  /** The deposit, if finalized and its box is owned by a team `userId` belongs to now; undefined otherwise. */
  async teamDeposit(transferId: string, userId: string): Promise<TeamDeposit | undefined> {
    const row = await this.#db
      .selectFrom('transfers as t')
      .innerJoin('drop_boxes as b', 'b.id', 't.box_id')
      .innerJoin('team_members as m', 'm.team_id', 'b.owner_team_id')
      .innerJoin('teams as team', 'team.id', 'm.team_id')
      .select(['t.id', 't.box_id', 'team.id as teamId', 'team.name as teamName'])
      .where('t.id', '=', transferId)
      .where('m.user_id', '=', userId)
      .where('t.finalized_at', 'is not', null)
      .executeTakeFirst();
    return row ? { transferId: row.id, boxId: row.box_id as string, teamId: row.teamId, teamName: row.teamName } : undefined;
  }

  /**
   * The deposit, if finalized, `userId` owns its box and is one of its recipients; undefined otherwise (or not a
   * deposit). A purged one is still found: opening it answers its 410, as long as the box's keys are kept.
   */
  async ownedDeposit(transferId: string, userId: string): Promise<OwnedDeposit | undefined> {
    const row = await this.#db
      .selectFrom('transfers as t')
      .innerJoin('drop_box_owner_keys as o', 'o.box_id', 't.box_id')
      .innerJoin('users as u', 'u.id', 'o.user_id')
      .innerJoin('recipients as r', (join) => join.onRef('r.transfer_id', '=', 't.id').onRef('r.email', '=', 'u.email'))
      .select(['t.id', 't.box_id', 'r.id as recipientId'])
      .where('t.id', '=', transferId)
      .where('o.user_id', '=', userId)
      // Never in the inbox unless finalized: an upload under way (or abandoned) is nobody's to open.
      .where('t.finalized_at', 'is not', null)
      .executeTakeFirst();
    return row ? { transferId: row.id, boxId: row.box_id as string, recipientId: row.recipientId } : undefined;
  }
}

interface EntryRow {
  readonly id: string;
  readonly state: string;
  readonly close_reason: string | null;
  readonly created_at: number;
  readonly expires_at: number | null;
}

// Team entries carry no download time: a team has no recipient row (its members open through the team slot).
function transferEntry(r: EntryRow & { sender_id: string | null; email: string }, downloadedAt: number | null, team: InboxRow['team']): InboxRow {
  return {
    transferId: r.id, kind: 'transfer', sender: { memberId: r.sender_id as string, email: r.email }, deposit: null,
    state: r.state as InboxRow['state'], closeReason: r.close_reason, createdAt: r.created_at, expiresAt: r.expires_at, downloadedAt, team,
  };
}

function depositEntry(
  r: EntryRow & { box_id: string | null; name: string; depositor_email: string | null; depositor_name: string | null }, downloadedAt: number | null, team: InboxRow['team'],
): InboxRow {
  return {
    transferId: r.id, kind: 'deposit', sender: null,
    deposit: { boxId: r.box_id as string, boxName: r.name, depositorEmail: r.depositor_email as string, depositorName: r.depositor_name as string },
    state: r.state as InboxRow['state'], closeReason: r.close_reason, createdAt: r.created_at, expiresAt: r.expires_at, downloadedAt, team,
  };
}
