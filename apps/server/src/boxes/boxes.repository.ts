// SQL for drop boxes: the box and its keys, its owners' sealed keys, depositors' code openings and deposit tokens, and
// the one statement that counts a deposit against the box's limit.
import type { DatabaseHandle } from '../db/database.js';
import type { Row } from '../db/schema.js';
import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Executor } from '../transfers/transfer.repository.js';

export type BoxRow = Row<'drop_boxes'>;
export type BoxKeyRow = Row<'drop_box_keys'>;
export type OwnerKeyRow = Row<'drop_box_owner_keys'>;
export type BoxOpeningRow = Row<'box_openings'>;
export type DepositTokenRow = Row<'deposit_tokens'>;

export interface NewBox {
  readonly id: string;
  readonly ownerId: string;
  readonly name: string;
  readonly sig: 'Ed25519' | 'ECDSA-P256';
  readonly sigPublicKey: Uint8Array;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly maxDeposits: number;
  readonly maxDepositBytes: number;
  readonly allowedDomains: readonly string[];
  readonly dataClass: string;
  /** Epoch 1: the record text exactly as signed, and its signature. */
  readonly record: string;
  readonly signature: Uint8Array;
  /** The creator's sealed copy of the box keys, and the certified fingerprint it was sealed to. */
  readonly ownerFingerprint: Uint8Array;
  readonly ownerSealed: Uint8Array;
  /** A team's box: the keys are sealed to the team key of `epoch` (ownerFingerprint is that key's), not to the creator. */
  readonly ownerTeam?: { readonly teamId: string; readonly epoch: number };
}

export interface NewBoxOpening {
  readonly id: string;
  readonly boxId: string;
  readonly email: string;
  readonly name: string;
  readonly tokenHash: Uint8Array;
  readonly codeHash: Uint8Array;
  readonly codeExpiresAt: number;
  readonly createdAt: number;
}

export interface NewDepositToken {
  readonly id: string;
  readonly boxId: string;
  readonly email: string;
  readonly name: string;
  readonly tokenHash: Uint8Array;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export class BoxRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async insert(trx: Executor, box: NewBox): Promise<void> {
    await trx.insertInto('drop_boxes').values({
      id: box.id,
      owner_id: box.ownerId,
      name: box.name,
      sig: box.sig,
      sig_public_key: box.sigPublicKey,
      state: 'open',
      created_at: box.createdAt,
      expires_at: box.expiresAt,
      max_deposits: box.maxDeposits,
      max_deposit_bytes: box.maxDepositBytes,
      allowed_domains: JSON.stringify(box.allowedDomains),
      data_class: box.dataClass,
      closed_at: null,
      owner_team_id: box.ownerTeam?.teamId ?? null,
    }).execute();
    await trx.insertInto('drop_box_keys').values({
      box_id: box.id, epoch: 1, record: box.record, signature: box.signature, created_at: box.createdAt,
    }).execute();
    await trx.insertInto('drop_box_owner_keys').values({
      box_id: box.id, user_id: box.ownerTeam ? null : box.ownerId, team_id: box.ownerTeam?.teamId ?? null, team_epoch: box.ownerTeam?.epoch ?? null,
      fingerprint: box.ownerFingerprint, sealed: box.ownerSealed, created_at: box.createdAt,
    }).execute();
  }

  async find(boxId: string, db: Executor = this.#db): Promise<BoxRow | undefined> {
    return db.selectFrom('drop_boxes').selectAll().where('id', '=', boxId).executeTakeFirst();
  }

  /**
   * The box if `userId` is one of its owners — holds its own sealed copy, or is a current member of the team that owns
   * it — and its keys were not purged; undefined otherwise.
   */
  async findOwned(boxId: string, userId: string, db: Executor = this.#db): Promise<BoxRow | undefined> {
    return db
      .selectFrom('drop_boxes as b')
      .selectAll('b')
      .where('b.id', '=', boxId)
      .where((eb) => ownedBy(eb, userId))
      .where('b.purged_at', 'is', null)
      .executeTakeFirst();
  }

  /** The boxes `userId` owns (themselves or through a team), newest first, those whose keys were purged left out. */
  async listOwned(userId: string): Promise<BoxRow[]> {
    return this.#db
      .selectFrom('drop_boxes as b')
      .selectAll('b')
      .where((eb) => ownedBy(eb, userId))
      .where('b.purged_at', 'is', null)
      .orderBy('b.created_at', 'desc')
      .orderBy('b.id')
      .execute();
  }

  /** A team's box: the box keys sealed to the team's newest key (the highest team epoch). */
  async teamOwnerKey(boxId: string, teamId: string, db: Executor = this.#db): Promise<OwnerKeyRow | undefined> {
    return db.selectFrom('drop_box_owner_keys').selectAll().where('box_id', '=', boxId).where('team_id', '=', teamId)
      .orderBy('team_epoch', 'desc').limit(1).executeTakeFirst();
  }

  /** The current members of the team that owns the box (none for a member's own box). */
  async teamMemberEmails(boxId: string, db: Executor = this.#db): Promise<string[]> {
    const rows = await db
      .selectFrom('drop_boxes as b')
      .innerJoin('team_members as m', 'm.team_id', 'b.owner_team_id')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('u.email')
      .where('b.id', '=', boxId)
      .orderBy('u.email')
      .execute();
    return rows.map((r) => r.email);
  }

  async teamName(teamId: string): Promise<string | undefined> {
    return (await this.#db.selectFrom('teams').select('name').where('id', '=', teamId).executeTakeFirst())?.name;
  }

  /** Boxes a team owns whose keys were not purged. */
  async countTeamBoxes(teamId: string, db: Executor = this.#db): Promise<number> {
    const row = await db.selectFrom('drop_boxes').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_team_id', '=', teamId).where('purged_at', 'is', null).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Every epoch's signed record, oldest first. */
  async keys(boxId: string, db: Executor = this.#db): Promise<BoxKeyRow[]> {
    return db.selectFrom('drop_box_keys').selectAll().where('box_id', '=', boxId).orderBy('epoch').execute();
  }

  /** The current epoch (the highest): what depositors encrypt to. */
  async currentKey(boxId: string, db: Executor = this.#db): Promise<BoxKeyRow | undefined> {
    return db.selectFrom('drop_box_keys').selectAll().where('box_id', '=', boxId).orderBy('epoch', 'desc').limit(1).executeTakeFirst();
  }

  /** A member's own sealed copy (never a team's: those have no user). */
  async ownerKey(boxId: string, userId: string): Promise<OwnerKeyRow | undefined> {
    return this.#db.selectFrom('drop_box_owner_keys').selectAll().where('box_id', '=', boxId).where('user_id', '=', userId).executeTakeFirst();
  }

  /** The owners' addresses, in order: a deposit's recipients. */
  async ownerEmails(boxId: string, db: Executor = this.#db): Promise<string[]> {
    const rows = await db
      .selectFrom('drop_box_owner_keys as o')
      .innerJoin('users as u', 'u.id', 'o.user_id')
      .select('u.email')
      .where('o.box_id', '=', boxId)
      .orderBy('u.email')
      .execute();
    return rows.map((r) => r.email);
  }

  /** open → closed, once; false when it was closed already. */
  async close(trx: Executor, boxId: string, now: number): Promise<boolean> {
    const result = await trx
      .updateTable('drop_boxes')
      .set({ state: 'closed', closed_at: now })
      .where('id', '=', boxId)
      .where('state', '=', 'open')
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Closes the box's unfinished uploads (they would never be accepted now): the purge deletes their parts. */
  async abandonUploads(trx: Executor, boxId: string, now: number): Promise<number> {
    const result = await trx
      .updateTable('transfers')
      .set({ state: 'closed', close_reason: 'abandoned', closed_at: now })
      .where('box_id', '=', boxId)
      .where('state', '=', 'uploading')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Counts one deposit, or nothing: open, unexpired and below its limit, checked by the same statement that counts,
   * so two depositors racing for the last deposit can never both get it.
   */
  async countDeposit(trx: Executor, boxId: string, now: number): Promise<boolean> {
    const result = await trx
      .updateTable('drop_boxes')
      .set((eb) => ({ deposits_used: eb('deposits_used', '+', 1) }))
      .where('id', '=', boxId)
      .where('state', '=', 'open')
      .where('expires_at', '>', now)
      .where('purged_at', 'is', null)
      .where((eb) => eb('deposits_used', '<', eb.ref('max_deposits')))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  // Depositors' codes (the gate's openings, per box).

  async insertOpening(trx: Executor, o: NewBoxOpening): Promise<void> {
    await trx.insertInto('box_openings').values({
      id: o.id, box_id: o.boxId, email: o.email, name: o.name, token_hash: o.tokenHash, code_hash: o.codeHash,
      code_expires_at: o.codeExpiresAt, created_at: o.createdAt, completed_at: null,
    }).execute();
  }

  /** Creation times of the box's openings since `since` (optionally for one address), oldest first. */
  async openingsSince(trx: Executor, boxId: string, since: number, email?: string): Promise<number[]> {
    let query = trx.selectFrom('box_openings').select('created_at').where('box_id', '=', boxId).where('created_at', '>', since);
    if (email !== undefined) query = query.where('email', '=', email);
    return (await query.orderBy('created_at').execute()).map((r) => r.created_at);
  }

  async findOpening(boxId: string, tokenHash: Uint8Array): Promise<BoxOpeningRow | undefined> {
    return this.#db.selectFrom('box_openings').selectAll().where('token_hash', '=', tokenHash).where('box_id', '=', boxId).executeTakeFirst();
  }

  /** Counts one attempt in the statement that checks the limit (see OpeningRepository.countAttempt); null: none left. */
  async countAttempt(id: string, maxAttempts: number): Promise<number | null> {
    const row = await this.#db
      .updateTable('box_openings')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('attempts', '<', maxAttempts)
      .where('completed_at', 'is', null)
      .returning('attempts')
      .executeTakeFirst();
    return row ? Number(row.attempts) : null;
  }

  async completeOpening(trx: Executor, id: string, now: number): Promise<boolean> {
    const result = await trx.updateTable('box_openings').set({ completed_at: now }).where('id', '=', id).where('completed_at', 'is', null).executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  // Deposit tokens.

  async insertToken(trx: Executor, t: NewDepositToken): Promise<void> {
    await trx.insertInto('deposit_tokens').values({
      id: t.id, box_id: t.boxId, email: t.email, name: t.name, token_hash: t.tokenHash, created_at: t.createdAt, expires_at: t.expiresAt,
    }).execute();
  }

  async findToken(tokenHash: Uint8Array, db: Executor = this.#db): Promise<DepositTokenRow | undefined> {
    return db.selectFrom('deposit_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  /** Binds the token to the deposit it creates, once; false if it created one already (or was spent, or expired). */
  async claimToken(trx: Executor, id: string, transferId: string, now: number): Promise<boolean> {
    const result = await trx
      .updateTable('deposit_tokens')
      .set({ transfer_id: transferId })
      .where('id', '=', id)
      .where('transfer_id', 'is', null)
      .where('spent_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Spends the token (finalize): false if it was spent already, or does not name this deposit. */
  async spendToken(trx: Executor, id: string, transferId: string, now: number): Promise<boolean> {
    const result = await trx
      .updateTable('deposit_tokens')
      .set({ spent_at: now })
      .where('id', '=', id)
      .where('transfer_id', '=', transferId)
      .where('spent_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}

/** `userId` holds an owner's copy of the box keys, or belongs to the team that owns the box. */
function ownedBy(eb: ExpressionBuilder<Database & { b: Database['drop_boxes'] }, 'b'>, userId: string) {
  return eb.or([
    eb.exists(eb.selectFrom('drop_box_owner_keys as o').select('o.box_id').whereRef('o.box_id', '=', 'b.id').where('o.user_id', '=', userId)),
    eb.exists(eb.selectFrom('team_members as m').select('m.team_id').whereRef('m.team_id', '=', 'b.owner_team_id').where('m.user_id', '=', userId)),
  ]);
}
