// The tamper-evident audit log: each entry's hash covers the previous entry's hash, so editing, removing or
// reordering an entry breaks the chain from there on. (Cutting the newest entries off is only detectable against
// a head hash kept elsewhere — logs, a report — which is why append() returns it.)
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { advisoryLockKey, withWriteTransaction } from '../db/transaction.js';

/** prev_hash of the first entry. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(32);

const CANONICAL_VERSION = 'valise.audit.v1';
const PAGE_SIZE = 1000;
/** The lock that serializes appends to the chain (PostgreSQL advisory lock name). */
export const AUDIT_LOCK = 'audit_log';
/** Rows per INSERT of appendWithin: 8 columns each, far below SQLite's bound-parameter cap. */
const APPEND_BATCH = 500;

export interface AuditEntry {
  /** Who acted: a user id, 'system', or null when unknown. */
  readonly actor?: string | null;
  /** What happened, dotted: 'user.created', 'transfer.purged'. */
  readonly action: string;
  /** What it happened to: an id. */
  readonly target?: string | null;
  /** Facts worth keeping; objects are stored as JSON text. Never secrets, never file names. */
  readonly detail?: string | Readonly<Record<string, unknown>> | null;
}

export interface AuditRecord {
  readonly seq: number;
  readonly at: number;
  readonly actor: string | null;
  readonly action: string;
  readonly target: string | null;
  readonly detail: string | null;
  readonly prevHash: Uint8Array;
  readonly hash: Uint8Array;
}

export type ChainVerification =
  | { readonly ok: true; readonly entries: number; readonly head: Uint8Array }
  | {
      readonly ok: false;
      readonly entries: number;
      /** seq of the first entry that does not fit. */
      readonly brokenAt: number;
      readonly problem: 'prev_hash_mismatch' | 'hash_mismatch';
    };

type CanonicalFields = Pick<AuditRecord, 'at' | 'actor' | 'action' | 'target' | 'detail'>;

/**
 * SHA-256(prev_hash ‖ canonical row). The canonical row is the UTF-8 JSON array of the fields in a fixed order:
 * JSON.stringify escapes strings one way only, so the bytes are unambiguous. seq is not covered: it is the
 * database's ordering, and the links between hashes already fix the order.
 */
export function auditHash(prevHash: Uint8Array, row: CanonicalFields): Uint8Array {
  const canonical = JSON.stringify([CANONICAL_VERSION, row.at, row.actor, row.action, row.target, row.detail]);
  return new Uint8Array(createHash('sha256').update(prevHash).update(canonical, 'utf8').digest());
}

export class AuditRepository {
  readonly #handle: DatabaseHandle;
  readonly #clock: Clock;

  constructor(handle: DatabaseHandle, clock: Clock) {
    this.#handle = handle;
    this.#clock = clock;
  }

  /** Appends one entry at the end of the chain; concurrent appends (any instance) are serialized. */
  async append(entry: AuditEntry): Promise<AuditRecord> {
    const fields: CanonicalFields = {
      at: this.#clock.now(),
      actor: entry.actor ?? null,
      action: entry.action,
      target: entry.target ?? null,
      detail: entry.detail == null ? null : typeof entry.detail === 'string' ? entry.detail : JSON.stringify(entry.detail),
    };
    return withWriteTransaction(
      this.#handle,
      async (trx) => {
        const last = await trx.selectFrom('audit_log').select('hash').orderBy('seq', 'desc').limit(1).executeTakeFirst();
        const prevHash = last ? new Uint8Array(last.hash) : GENESIS_HASH;
        const hash = auditHash(prevHash, fields);
        const { seq } = await trx
          .insertInto('audit_log')
          .values({ ...fields, prev_hash: prevHash, hash })
          .returning('seq')
          .executeTakeFirstOrThrow();
        return { seq, ...fields, prevHash, hash };
      },
      { lock: 'audit_log' },
    );
  }

  /**
   * Appends `entries`, in order, inside the caller's write transaction (withWriteTransaction): they commit or vanish
   * with the caller's other writes, so a fact and its audit entries cannot part. Takes the chain's lock first
   * (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes writers).
   */
  async appendWithin(trx: Kysely<Database>, entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.#handle.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${advisoryLockKey(AUDIT_LOCK)}::bigint)`.execute(trx);
    const at = this.#clock.now();
    const last = await trx.selectFrom('audit_log').select('hash').orderBy('seq', 'desc').limit(1).executeTakeFirst();
    let prevHash = last ? new Uint8Array(last.hash) : GENESIS_HASH;
    const rows = entries.map((entry) => {
      const fields: CanonicalFields = {
        at,
        actor: entry.actor ?? null,
        action: entry.action,
        target: entry.target ?? null,
        detail: entry.detail == null ? null : typeof entry.detail === 'string' ? entry.detail : JSON.stringify(entry.detail),
      };
      const hash = auditHash(prevHash, fields);
      const row = { ...fields, prev_hash: prevHash, hash };
      prevHash = hash;
      return row;
    });
    // One statement assigns seq in VALUES order on both dialects, which is the chain's order.
    for (let i = 0; i < rows.length; i += APPEND_BATCH) await trx.insertInto('audit_log').values(rows.slice(i, i + APPEND_BATCH)).execute();
  }

  /** Walks the whole chain in seq order, page by page, and reports the first entry that does not fit. */
  async verifyChain(): Promise<ChainVerification> {
    let expectedPrev = GENESIS_HASH;
    let entries = 0;
    let afterSeq = -1;
    for (;;) {
      const page = await this.#handle.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(PAGE_SIZE)
        .execute();
      for (const row of page) {
        if (!sameBytes(row.prev_hash, expectedPrev)) {
          return { ok: false, entries, brokenAt: row.seq, problem: 'prev_hash_mismatch' };
        }
        if (!sameBytes(row.hash, auditHash(row.prev_hash, row))) {
          return { ok: false, entries, brokenAt: row.seq, problem: 'hash_mismatch' };
        }
        expectedPrev = new Uint8Array(row.hash);
        afterSeq = row.seq;
        entries++;
      }
      if (page.length < PAGE_SIZE) return { ok: true, entries, head: expectedPrev };
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
