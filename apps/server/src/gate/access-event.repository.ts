// The per-transfer access log shown to the sender: who asked for a code, failed, opened and finished, and when.
import { randomBytes } from 'node:crypto';
import type { DatabaseHandle } from '../db/database.js';
import type { Executor } from '../transfers/transfer.repository.js';

export type AccessEventKind =
  /** A code was mailed to a recipient. */
  | 'code_sent'
  /** A code was asked for an address that is not a recipient (answered with a decoy; nothing mailed). */
  | 'code_decoy'
  | 'code_failed'
  /** The fifth wrong code: that code is dead. */
  | 'code_locked'
  | 'code_rate_limited'
  | 'link_proof_failed'
  /** A grant was issued: one download consumed (detail 'self': the sender, from their inbox, consuming nothing). */
  | 'opened'
  /** A client interrupted mid-download came back with its grant, or a member opened again from the inbox while
   * holding one (nothing consumed). */
  | 'resumed'
  | 'download_complete';

export interface NewAccessEvent {
  readonly transferId: string;
  readonly kind: AccessEventKind;
  readonly at: number;
  readonly recipientId?: string | null;
  readonly userId?: string | null;
  readonly ip?: string | null;
  /** Short facts for the sender; never secrets. */
  readonly detail?: string | null;
}

export interface AccessEventView {
  readonly kind: string;
  readonly recipient: string | null;
  readonly at: number;
  readonly detail: string | null;
}

export class AccessEventRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async record(event: NewAccessEvent, db: Executor = this.#db): Promise<void> {
    await db.insertInto('access_events').values({
      id: eventId(event.at),
      transfer_id: event.transferId,
      recipient_id: event.recipientId ?? null,
      user_id: event.userId ?? null,
      kind: event.kind,
      at: event.at,
      ip: event.ip ?? null,
      detail: event.detail ?? null,
    }).execute();
  }

  /**
   * Oldest first, with the recipient's address; for a member who is no recipient (the sender opening their own
   * transfer from the inbox), the member's.
   */
  async listForTransfer(transferId: string): Promise<AccessEventView[]> {
    const rows = await this.#db
      .selectFrom('access_events as e')
      .leftJoin('recipients as r', 'r.id', 'e.recipient_id')
      .leftJoin('users as u', 'u.id', 'e.user_id')
      .select(['e.kind', 'e.at', 'e.detail', 'r.email as recipientEmail', 'u.email as userEmail'])
      .where('e.transfer_id', '=', transferId)
      .orderBy('e.at')
      .orderBy('e.id')
      .execute();
    return rows.map((r) => ({ kind: r.kind, recipient: r.recipientEmail ?? r.userEmail ?? null, at: r.at, detail: r.detail }));
  }
}

let sequence = 0;

/**
 * Sorts in the order events were recorded: milliseconds (6 bytes), a per-process counter for events of the same
 * millisecond (2 bytes), then randomness, all in hex (which, unlike base64url, sorts like the bytes).
 */
function eventId(at: number): string {
  sequence = (sequence + 1) % 0x10000;
  return `${Math.max(0, Math.floor(at)).toString(16).padStart(12, '0').slice(-12)}${sequence.toString(16).padStart(4, '0')}${randomBytes(8).toString('hex')}`;
}
