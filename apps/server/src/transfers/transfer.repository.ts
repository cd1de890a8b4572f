// SQL for transfers, their files and their recipients; every state change is one conditional UPDATE.
import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';
import type { Database, Row, TransferState } from '../db/schema.js';

/** A connection or an open transaction: repositories run inside the caller's transaction when given one. */
export type Executor = Kysely<Database>;

export type TransferRow = Row<'transfers'>;
export type FileRow = Row<'transfer_files'>;
export type RecipientRow = Row<'recipients'>;

/** Who a deposit is from: its box, and the depositor the server verified by a code (docs/format.md §13.3). */
export interface DepositOrigin {
  readonly boxId: string;
  /** Lowercase. */
  readonly depositorEmail: string;
  readonly depositorName: string;
}

export interface NewTransfer {
  readonly id: string;
  /** The member sending it; null for a deposit (then `deposit` is set). */
  readonly senderId: string | null;
  readonly deposit?: DepositOrigin;
  readonly dataClass: string;
  readonly createdAt: number;
  readonly expiresInMs: number;
  readonly maxDownloads: number;
  readonly ssEnc: Uint8Array;
  readonly ssEpoch: number;
  readonly totalBytes: number;
  readonly files: readonly { readonly id: string; readonly ciphertextSize: number; readonly partCount: number }[];
  readonly recipients: readonly { readonly id: string; readonly email: string }[];
  /** Teams the transfer is sent to (docs/format.md §13.5): each gets its team slot at finalize. */
  readonly teams?: readonly string[];
}

/** A transfer's link: the link slot and the link-auth key A (docs/format.md §6). */
export interface LinkValues {
  readonly slotId: string;
  readonly slot: Uint8Array;
  readonly authKey: Uint8Array;
}

/** A member slot as finalize stores it (docs/format.md §12.1). */
export interface NewMemberSlot {
  readonly slotId: string;
  readonly userId: string;
  /** null for the sender's self slot. */
  readonly recipientId: string | null;
  readonly fingerprint: Uint8Array;
  readonly wrapped: Uint8Array;
}

/** A team slot as finalize stores it (docs/format.md §13.5). */
export interface NewTeamSlot {
  readonly teamId: string;
  readonly slotId: string;
  readonly epoch: number;
  /** The team key's fingerprint (of `epoch`). */
  readonly fingerprint: Uint8Array;
  readonly wrapped: Uint8Array;
}

export interface FinalizeValues {
  readonly now: number;
  readonly expiresAt: number;
  /** null: a transfer to members only, opened from their inboxes. */
  readonly link: LinkValues | null;
  readonly manifest: Uint8Array;
  readonly signature: { readonly signature: Uint8Array; readonly signerFingerprint: Uint8Array } | null;
  readonly memberSlots: readonly NewMemberSlot[];
  readonly teamSlots?: readonly NewTeamSlot[];
}

// SQLite caps bound parameters per statement (32766 in current builds); batches stay well below it.
const INSERT_BATCH = 500;

export class TransferRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async insert(trx: Executor, t: NewTransfer): Promise<void> {
    await trx.insertInto('transfers').values({
      id: t.id,
      sender_id: t.senderId,
      state: 'uploading',
      close_reason: null,
      data_class: t.dataClass,
      created_at: t.createdAt,
      finalized_at: null,
      expires_in_ms: t.expiresInMs,
      expires_at: null,
      max_downloads: t.maxDownloads,
      ss_enc: t.ssEnc,
      ss_epoch: t.ssEpoch,
      link_slot_id: null,
      link_slot: null,
      link_auth_key: null,
      manifest: null,
      total_bytes: t.totalBytes,
      closed_at: null,
      purged_at: null,
      box_id: t.deposit?.boxId ?? null,
      depositor_email: t.deposit?.depositorEmail ?? null,
      depositor_name: t.deposit?.depositorName ?? null,
    }).execute();
    const files = t.files.map((f, idx) => ({
      id: f.id, transfer_id: t.id, idx, ciphertext_size: f.ciphertextSize, part_count: f.partCount,
    }));
    for (let i = 0; i < files.length; i += INSERT_BATCH) {
      await trx.insertInto('transfer_files').values(files.slice(i, i + INSERT_BATCH)).execute();
    }
    const recipients = t.recipients.map((r) => ({ id: r.id, transfer_id: t.id, email: r.email, created_at: t.createdAt }));
    for (let i = 0; i < recipients.length; i += INSERT_BATCH) {
      await trx.insertInto('recipients').values(recipients.slice(i, i + INSERT_BATCH)).execute();
    }
    const teams = (t.teams ?? []).map((teamId) => ({ transfer_id: t.id, team_id: teamId, created_at: t.createdAt }));
    if (teams.length > 0) await trx.insertInto('transfer_teams').values(teams).execute();
  }

  /** The teams a transfer was sent to (ids, in id order). */
  async teamsOf(transferId: string, db: Executor = this.#db): Promise<string[]> {
    const rows = await db.selectFrom('transfer_teams').select('team_id').where('transfer_id', '=', transferId).orderBy('team_id').execute();
    return rows.map((r) => r.team_id);
  }

  /** The first completed download by a member of a team the transfer was sent to (later ones change nothing). */
  async markTeamDownloaded(trx: Executor, transferId: string, teamId: string, now: number): Promise<void> {
    await trx.updateTable('transfer_teams').set({ downloaded_at: now })
      .where('transfer_id', '=', transferId).where('team_id', '=', teamId).where('downloaded_at', 'is', null).execute();
  }

  /** The first completed download of a recipient (later ones change nothing). */
  async markDownloaded(trx: Executor, recipientId: string, now: number): Promise<void> {
    await trx.updateTable('recipients').set({ downloaded_at: now }).where('id', '=', recipientId).where('downloaded_at', 'is', null).execute();
  }

  /** The addresses (normalized) without an active member account: outside recipients. */
  async nonMembers(addresses: readonly string[]): Promise<string[]> {
    if (addresses.length === 0) return [];
    const members = new Set<string>();
    for (let i = 0; i < addresses.length; i += INSERT_BATCH) {
      const rows = await this.#db.selectFrom('users').select('email')
        .where('email', 'in', addresses.slice(i, i + INSERT_BATCH)).where('status', '=', 'active').execute();
      for (const row of rows) members.add(row.email);
    }
    return addresses.filter((a) => !members.has(a));
  }

  /**
   * Bytes a member holds in live transfers (uploading or ready): what the quota counts. A deposit counts against the
   * member who created its drop box, as if they had sent it.
   */
  async liveBytes(trx: Executor, userId: string): Promise<number> {
    const sum = async (query: 'sent' | 'deposited') => {
      let q = trx
        .selectFrom('transfers')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('total_bytes'), eb.lit(0)).as('bytes'))
        .where('state', 'in', ['uploading', 'ready']);
      q = query === 'sent'
        ? q.where('sender_id', '=', userId)
        : q.where('box_id', 'in', (eb) => eb.selectFrom('drop_boxes').select('id').where('owner_id', '=', userId));
      return Number((await q.executeTakeFirst())?.bytes ?? 0);
    };
    return (await sum('sent')) + (await sum('deposited'));
  }

  /** The user's own quota, or null for the configured default. */
  async userQuota(trx: Executor, userId: string): Promise<number | null> {
    const row = await trx.selectFrom('users').select('quota_bytes').where('id', '=', userId).executeTakeFirst();
    return row?.quota_bytes ?? null;
  }

  async findById(id: string, db: Executor = this.#db): Promise<TransferRow | undefined> {
    return db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The transfer if `senderId` owns it: a foreign transfer and a missing one look the same to the caller. */
  async findOwned(id: string, senderId: string, db: Executor = this.#db): Promise<TransferRow | undefined> {
    return db.selectFrom('transfers').selectAll().where('id', '=', id).where('sender_id', '=', senderId).executeTakeFirst();
  }

  /** A page of the sender's transfers, newest first (ties by id), after the cursor `before` when given. */
  async listBySender(senderId: string, page: { readonly limit: number; readonly before?: { readonly createdAt: number; readonly id: string } }): Promise<TransferRow[]> {
    let query = this.#db
      .selectFrom('transfers')
      .selectAll()
      .where('sender_id', '=', senderId);
    const before = page.before;
    if (before) {
      query = query.where((eb) => eb.or([
        eb('created_at', '<', before.createdAt),
        eb.and([eb('created_at', '=', before.createdAt), eb('id', '>', before.id)]),
      ]));
    }
    return query.orderBy('created_at', 'desc').orderBy('id').limit(page.limit).execute();
  }

  async files(transferId: string, db: Executor = this.#db): Promise<FileRow[]> {
    return db.selectFrom('transfer_files').selectAll().where('transfer_id', '=', transferId).orderBy('idx').execute();
  }

  /** The ciphertext size of each file, by transfer (in file order). */
  async fileSizes(transferIds: readonly string[]): Promise<Map<string, number[]>> {
    const sizes = new Map<string, number[]>();
    for (let i = 0; i < transferIds.length; i += INSERT_BATCH) {
      const rows = await this.#db
        .selectFrom('transfer_files')
        .select(['transfer_id', 'ciphertext_size'])
        .where('transfer_id', 'in', transferIds.slice(i, i + INSERT_BATCH))
        .orderBy('transfer_id').orderBy('idx')
        .execute();
      for (const row of rows) {
        const list = sizes.get(row.transfer_id) ?? [];
        list.push(Number(row.ciphertext_size));
        sizes.set(row.transfer_id, list);
      }
    }
    return sizes;
  }

  async recipients(transferIds: readonly string[]): Promise<Map<string, RecipientRow[]>> {
    const byTransfer = new Map<string, RecipientRow[]>();
    for (let i = 0; i < transferIds.length; i += INSERT_BATCH) {
      const rows = await this.#db
        .selectFrom('recipients')
        .selectAll()
        .where('transfer_id', 'in', transferIds.slice(i, i + INSERT_BATCH))
        .orderBy('email')
        .execute();
      for (const row of rows) {
        const list = byTransfer.get(row.transfer_id) ?? [];
        list.push(row);
        byTransfer.set(row.transfer_id, list);
      }
    }
    return byTransfer;
  }

  /** The sender's address, as recipients see it in their code e-mail. */
  async senderEmail(userId: string): Promise<string | undefined> {
    const row = await this.#db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
    return row?.email;
  }

  async findRecipient(transferId: string, email: string, db: Executor = this.#db): Promise<RecipientRow | undefined> {
    return db.selectFrom('recipients').selectAll().where('transfer_id', '=', transferId).where('email', '=', email).executeTakeFirst();
  }

  /**
   * Inside a write transaction: true if the transfer is still uploading. The no-op UPDATE takes the row lock in
   * PostgreSQL, so a part cannot be recorded while finalize or revoke changes the state (SQLite: the transaction
   * already holds the database write lock).
   */
  async lockIfUploading(trx: Executor, id: string): Promise<boolean> {
    const result = await trx
      .updateTable('transfers')
      .set((eb) => ({ state: eb.ref('state') }))
      .where('id', '=', id)
      .where('state', '=', 'uploading')
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** uploading → ready, once, with the link and member slots; false when the transfer was not uploading any more. */
  async markReady(trx: Executor, id: string, v: FinalizeValues): Promise<boolean> {
    const result = await trx
      .updateTable('transfers')
      .set({
        state: 'ready',
        finalized_at: v.now,
        expires_at: v.expiresAt,
        link_slot_id: v.link?.slotId ?? null,
        link_slot: v.link?.slot ?? null,
        link_auth_key: v.link?.authKey ?? null,
        manifest: v.manifest,
        manifest_signature: v.signature?.signature ?? null,
        signer_fingerprint: v.signature?.signerFingerprint ?? null,
      })
      .where('id', '=', id)
      .where('state', '=', 'uploading')
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) return false;
    const slots = v.memberSlots.map((m) => ({
      transfer_id: id, slot_id: m.slotId, user_id: m.userId, recipient_id: m.recipientId, fingerprint: m.fingerprint, wrapped: m.wrapped, created_at: v.now,
    }));
    for (let i = 0; i < slots.length; i += INSERT_BATCH) {
      await trx.insertInto('member_slots').values(slots.slice(i, i + INSERT_BATCH)).execute();
    }
    for (const team of v.teamSlots ?? []) {
      await trx.updateTable('transfer_teams')
        .set({ slot_id: team.slotId, epoch: team.epoch, fingerprint: team.fingerprint, wrapped: team.wrapped })
        .where('transfer_id', '=', id).where('team_id', '=', team.teamId)
        .execute();
    }
    return true;
  }

  /** A deposit: uploading → ready, once, with its box slot and manifest; false when it was not uploading any more. */
  async markDepositReady(
    trx: Executor,
    id: string,
    v: { readonly now: number; readonly expiresAt: number; readonly manifest: Uint8Array; readonly boxSlot: { readonly slotId: string; readonly epoch: number; readonly wrapped: Uint8Array } },
  ): Promise<boolean> {
    const result = await trx
      .updateTable('transfers')
      .set({
        state: 'ready', finalized_at: v.now, expires_at: v.expiresAt, manifest: v.manifest,
        box_slot_id: v.boxSlot.slotId, box_slot_epoch: v.boxSlot.epoch, box_slot: v.boxSlot.wrapped,
      })
      .where('id', '=', id)
      .where('state', '=', 'uploading')
      .where('box_id', 'is not', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Every recipient of the transfer (address order). */
  /** The teams of each transfer, by name: the sender's view of them as recipients. */
  async teamsOfTransfers(transferIds: readonly string[]): Promise<Map<string, { teamId: string; name: string; downloadedAt: number | null }[]>> {
    const byTransfer = new Map<string, { teamId: string; name: string; downloadedAt: number | null }[]>();
    for (let i = 0; i < transferIds.length; i += INSERT_BATCH) {
      const rows = await this.#db
        .selectFrom('transfer_teams as tt')
        .innerJoin('teams as team', 'team.id', 'tt.team_id')
        .select(['tt.transfer_id', 'team.id', 'team.name', 'tt.downloaded_at'])
        .where('tt.transfer_id', 'in', transferIds.slice(i, i + INSERT_BATCH))
        .orderBy('team.name_key')
        .execute();
      for (const row of rows) {
        const list = byTransfer.get(row.transfer_id) ?? [];
        list.push({ teamId: row.id, name: row.name, downloadedAt: row.downloaded_at === null ? null : Number(row.downloaded_at) });
        byTransfer.set(row.transfer_id, list);
      }
    }
    return byTransfer;
  }

  async recipientsOf(transferId: string, db: Executor = this.#db): Promise<RecipientRow[]> {
    return db.selectFrom('recipients').selectAll().where('transfer_id', '=', transferId).orderBy('email').execute();
  }

  /** Closes the transfer if it is in one of `from`; false when it was not. */
  async close(
    trx: Executor,
    id: string,
    change: { readonly reason: string; readonly now: number; readonly from: readonly TransferState[] },
  ): Promise<boolean> {
    const result = await trx
      .updateTable('transfers')
      .set({ state: 'closed', close_reason: change.reason, closed_at: change.now })
      .where('id', '=', id)
      .where('state', 'in', [...change.from])
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}
