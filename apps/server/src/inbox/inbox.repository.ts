// SQL for the member inbox: the transfers a member holds a recipient's member slot in, and one member's slot.
import type { DatabaseHandle } from '../db/database.js';
import type { Row } from '../db/schema.js';
import type { Executor } from '../transfers/transfer.repository.js';

export type MemberSlotRow = Row<'member_slots'>;

/** A transfer as the inbox lists it, before its files are counted. */
export interface InboxRow {
  readonly transferId: string;
  readonly senderId: string;
  readonly senderEmail: string;
  readonly state: 'ready' | 'closed';
  readonly closeReason: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly downloadedAt: number | null;
}

export class InboxRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  /**
   * The transfers where `userId` has a member slot as a recipient (the sender's self slots are not inbox entries),
   * finalized and not purged (a purge deletes the slots anyway), newest first.
   */
  async list(userId: string): Promise<InboxRow[]> {
    const rows = await this.#db
      .selectFrom('member_slots as s')
      .innerJoin('transfers as t', 't.id', 's.transfer_id')
      .innerJoin('users as u', 'u.id', 't.sender_id')
      .innerJoin('recipients as r', 'r.id', 's.recipient_id')
      .select(['t.id', 't.sender_id', 'u.email', 't.state', 't.close_reason', 't.created_at', 't.expires_at', 'r.downloaded_at'])
      .where('s.user_id', '=', userId)
      .where('t.state', 'in', ['ready', 'closed'])
      .orderBy('t.created_at', 'desc')
      .orderBy('t.id')
      .execute();
    return rows.map((r) => ({
      transferId: r.id,
      senderId: r.sender_id,
      senderEmail: r.email,
      state: r.state as InboxRow['state'],
      closeReason: r.close_reason,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      downloadedAt: r.downloaded_at,
    }));
  }

  /** The member's slot in the transfer, recipient's or self slot; undefined when they have none. */
  async slotOf(transferId: string, userId: string): Promise<MemberSlotRow | undefined> {
    return this.#db.selectFrom('member_slots').selectAll().where('transfer_id', '=', transferId).where('user_id', '=', userId).executeTakeFirst();
  }
}
