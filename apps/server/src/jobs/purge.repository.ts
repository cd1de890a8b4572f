// SQL for the purge job: choosing what to purge, destroying secrets, and the tombstone (closing: purge-close.ts).
import { sql, type ExpressionBuilder } from 'kysely';
import { AUDIT_LOCK, type AuditEntry, type AuditRepository } from '../audit/audit.repository.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { withWriteTransaction } from '../db/transaction.js';
import { DeletionRecordRepository, type NewDeletionRecord } from '../retention/deletion-record.repository.js';
import type { Executor } from '../transfers/transfer.repository.js';
import { closeDue, OPENING_RETENTION_MS, type ClosedCounts } from './purge-close.js';

export { ABANDONED_AFTER_MS, DOWNLOADED_GRACE_MS, OPENING_RETENTION_MS, type ClosedCounts } from './purge-close.js';

/** What the purge needs of a closed transfer. */
export interface PurgeCandidate {
  readonly id: string;
  /** null for a deposit. */
  readonly senderId: string | null;
  readonly dataClass: string;
  readonly reason: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly closedAt: number;
}

/** A stored part of a transfer being purged, with the SHA-256 recorded when it was uploaded. */
export interface PartRef {
  readonly transferId: string;
  readonly file: number;
  readonly index: number;
  readonly blobKey: string;
  readonly size: number;
  readonly sha256: string;
}

/** Ids per IN (…) list: far below SQLite's bound-parameter cap. */
const IN_LIST = 500;

export class PurgeRepository {
  readonly #handle: DatabaseHandle;
  readonly #db: Executor;
  readonly #records: DeletionRecordRepository;

  constructor(handle: DatabaseHandle) {
    this.#handle = handle;
    this.#db = handle.db;
    this.#records = new DeletionRecordRepository(handle);
  }

  /** Closes every transfer whose time or downloads are up, and every long-abandoned upload (purge-close.ts). */
  closeDue(now: number): Promise<ClosedCounts> {
    return closeDue(this.#db, now);
  }

  /**
   * Up to `limit` closed transfers without an active legal hold, leaving out `exclude` (failed this run). No ORDER BY:
   * a run drains every closed transfer anyway, and sorting the whole closed set for each batch costs more than it
   * buys (the state index finds them directly).
   */
  async closedBatch(limit: number, exclude: readonly string[]): Promise<PurgeCandidate[]> {
    let query = this.#db
      .selectFrom('transfers')
      .select(['id', 'sender_id', 'data_class', 'close_reason', 'created_at', 'expires_at', 'closed_at'])
      .where('state', '=', 'closed')
      .where((eb) => eb.not(eb.exists(activeHold(eb))));
    if (exclude.length > 0) query = query.where('id', 'not in', exclude);
    const rows = await query.limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      senderId: r.sender_id,
      dataClass: r.data_class,
      reason: r.close_reason ?? 'unknown',
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      closedAt: r.closed_at ?? r.created_at,
    }));
  }

  /**
   * Step 1, one transaction for the batch: SS, the link slot, the link-auth key, the member slots, a deposit's box
   * slot, the manifest and its signature are gone, and so is every way in (grants, openings, challenges, deposit
   * tokens). Idempotent. Returns the ids it applied to: those still closed
   * and not held now (a hold placed since the batch was chosen keeps its transfer whole).
   */
  async destroySecrets(ids: readonly string[]): Promise<string[]> {
    return withWriteTransaction(this.#handle, async (trx) => {
      const applied: string[] = [];
      for (const chunk of chunks(ids)) {
        const rows = await trx
          .updateTable('transfers')
          .set({ ss_enc: null, link_slot: null, link_auth_key: null, manifest: null, manifest_signature: null, box_slot: null })
          .where('id', 'in', chunk)
          .where(this.#state(), '=', 'closed')
          .where((eb) => eb.not(eb.exists(activeHold(eb))))
          .returning('id')
          .execute();
        const done = rows.map((r) => r.id);
        applied.push(...done);
        if (done.length === 0) continue;
        await trx.deleteFrom('member_slots').where('transfer_id', 'in', done).execute();
        // Which teams it was sent to stays (public, like its recipients); their slots go.
        await trx.updateTable('transfer_teams').set({ wrapped: null }).where('transfer_id', 'in', done).execute();
        await trx.deleteFrom('grants').where('transfer_id', 'in', done).execute();
        await trx.deleteFrom('openings').where('transfer_id', 'in', done).execute();
        await trx.deleteFrom('link_challenges').where('transfer_id', 'in', done).execute();
        await trx.deleteFrom('deposit_tokens').where('transfer_id', 'in', done).execute();
      }
      return applied;
    });
  }

  /** The parts of these transfers; their rows stay until the tombstone, so a restarted purge reads them again. */
  async partsOf(ids: readonly string[]): Promise<PartRef[]> {
    const refs: PartRef[] = [];
    for (const chunk of chunks(ids)) {
      const rows = await this.#db
        .selectFrom('parts')
        .innerJoin('transfer_files', 'transfer_files.id', 'parts.file_id')
        .select(['parts.transfer_id', 'transfer_files.idx as file', 'parts.idx', 'parts.blob_key', 'parts.size', 'parts.sha256'])
        .where('parts.transfer_id', 'in', chunk)
        // Redundant for the result, but lets PostgreSQL reach transfer_files by its (transfer_id, idx) index
        // rather than hash the whole table for every batch.
        .where('transfer_files.transfer_id', 'in', chunk)
        .orderBy('parts.transfer_id')
        .orderBy('transfer_files.idx')
        .orderBy('parts.idx')
        .execute();
      for (const r of rows) {
        refs.push({
          transferId: r.transfer_id, file: r.file, index: r.idx, blobKey: r.blob_key, size: r.size,
          sha256: Buffer.from(r.sha256).toString('base64url'),
        });
      }
    }
    return refs;
  }

  async countFailedAttempts(ids: readonly string[]): Promise<void> {
    for (const chunk of chunks(ids)) {
      await this.#db
        .updateTable('transfers')
        .set((eb) => ({ purge_attempts: eb('purge_attempts', '+', 1) }))
        .where('id', 'in', chunk)
        .execute();
    }
  }

  /**
   * Last step, one transaction for the batch, once every blob is verified gone: the rows still closed become
   * tombstones, and only those get their deletion record and audit entry and lose their part rows (whose SHA-256s
   * the records copied). A purge that got there first (a second job, an instance without the lock) makes this a
   * no-op for its transfers, so a transfer is recorded once. `inside` runs just before the commit (fault
   * injection). Returns the ids tombstoned here.
   */
  async tombstone(
    purgedAt: number,
    records: readonly NewDeletionRecord[],
    audit: AuditRepository,
    auditEntry: (record: NewDeletionRecord) => AuditEntry,
    inside?: (ids: readonly string[]) => Promise<void>,
  ): Promise<string[]> {
    if (records.length === 0) return [];
    // The chain's lock first, as every audited transaction takes it: row locks then the audit lock would deadlock
    // against one that does the opposite.
    return withWriteTransaction(this.#handle, async (trx) => {
      const marked = new Set<string>();
      for (const chunk of chunks(records.map((r) => r.transferId))) {
        const rows = await trx
          .updateTable('transfers')
          .set({ state: 'purged', purged_at: purgedAt })
          .where('id', 'in', chunk)
          .where(this.#state(), '=', 'closed')
          .returning('id')
          .execute();
        for (const row of rows) marked.add(row.id);
      }
      const kept = records.filter((r) => marked.has(r.transferId));
      const ids = kept.map((r) => r.transferId);
      for (const chunk of chunks(ids)) await trx.deleteFrom('parts').where('transfer_id', 'in', chunk).execute();
      await this.#releaseUnfinishedDeposits(trx, ids);
      await this.#records.insert(trx, kept);
      await audit.appendWithin(trx, kept.map(auditEntry));
      await inside?.(ids);
      return ids;
    }, { lock: AUDIT_LOCK });
  }

  /**
   * A deposit that was never finalized (abandoned, or its box closed mid-upload) gives its count back to its box, in
   * the tombstone's transaction: once, since only the transfers tombstoned here are counted.
   */
  async #releaseUnfinishedDeposits(trx: Executor, ids: readonly string[]): Promise<void> {
    const perBox = new Map<string, number>();
    for (const chunk of chunks(ids)) {
      const rows = await trx
        .selectFrom('transfers')
        .select(['box_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('id', 'in', chunk)
        .where('box_id', 'is not', null)
        .where('finalized_at', 'is', null)
        .groupBy('box_id')
        .execute();
      for (const r of rows) perBox.set(r.box_id as string, (perBox.get(r.box_id as string) ?? 0) + Number(r.n));
    }
    for (const [boxId, n] of perBox) {
      await trx
        .updateTable('drop_boxes')
        .set((eb) => ({ deposits_used: eb.case().when('deposits_used', '>', n).then(eb('deposits_used', '-', n)).else(0).end() }))
        .where('id', '=', boxId)
        .execute();
    }
  }

  /**
   * Drop boxes past their expiry with no deposit left to purge (none, or every one purged): their keys — the signed
   * records and every owner's sealed private keys — and any code or token still pointing at them are deleted, in one
   * transaction with their audit entries; the box row stays as a tombstone (purged_at). A deposit still live or held
   * keeps its box's keys. Returns the boxes purged.
   */
  async purgeExpiredBoxes(now: number, audit: AuditRepository): Promise<string[]> {
    return withWriteTransaction(this.#handle, async (trx) => {
      const rows = await trx
        .updateTable('drop_boxes')
        .set({ purged_at: now })
        .where('purged_at', 'is', null)
        .where('expires_at', '<=', now)
        .where((eb) => eb.not(eb.exists(
          eb.selectFrom('transfers').select(sql<number>`1`.as('one')).whereRef('transfers.box_id', '=', 'drop_boxes.id').where('transfers.state', '!=', 'purged'),
        )))
        .returning('id')
        .execute();
      const ids = rows.map((r) => r.id);
      for (const chunk of chunks(ids)) {
        for (const table of ['drop_box_keys', 'drop_box_owner_keys', 'box_openings', 'deposit_tokens'] as const) {
          await trx.deleteFrom(table).where('box_id', 'in', chunk).execute();
        }
      }
      await audit.appendWithin(trx, ids.map((id) => ({ actor: 'system', action: 'box.purged', target: id })));
      return ids;
    }, { lock: AUDIT_LOCK });
  }

  /**
   * The state column for a condition beside a list of ids: there the primary key is the way in, but SQLite
   * (without statistics) would walk every closed row through the state index instead, once per statement — a
   * quarter of the whole purge's time at 100,000 closed transfers. `+state` keeps it off that index.
   */
  #state() {
    return this.#handle.dialect === 'sqlite' ? sql<string>`+state` : sql.ref<string>('state');
  }

  /**
   * Housekeeping of live transfers and boxes: dead challenges, grants and deposit tokens, and openings (of links and
   * of boxes) past the rate-limit window.
   */
  async deleteStale(now: number): Promise<void> {
    await this.#db.deleteFrom('link_challenges').where('expires_at', '<=', now).execute();
    await this.#db.deleteFrom('grants').where('expires_at', '<=', now).execute();
    await this.#db.deleteFrom('openings').where('created_at', '<=', now - OPENING_RETENTION_MS).execute();
    await this.#db.deleteFrom('box_openings').where('created_at', '<=', now - OPENING_RETENTION_MS).execute();
    await this.#db.deleteFrom('deposit_tokens').where('expires_at', '<=', now).execute();
  }
}

/** An active legal hold of the outer query's transfer. */
function activeHold(eb: ExpressionBuilder<Database, 'transfers'>) {
  return eb
    .selectFrom('legal_holds')
    .select(sql<number>`1`.as('one'))
    .whereRef('legal_holds.transfer_id', '=', 'transfers.id')
    .where('legal_holds.released_at', 'is', null);
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_LIST) out.push(items.slice(i, i + IN_LIST));
  return out;
}
