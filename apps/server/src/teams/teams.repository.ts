// SQL for teams (docs/format.md §13.5): the team and its signed epoch keys, its members' sealed copies of the keys, and
// the one re-keying write of a removal. Every statement that changes the epoch is conditional on the epoch read.
import type { DatabaseHandle } from '../db/database.js';
import type { Row } from '../db/schema.js';
import type { Executor } from '../transfers/transfer.repository.js';

export type TeamRow = Row<'teams'>;
export type TeamKeyRow = Row<'team_keys'>;
export type TeamMemberRow = Row<'team_members'>;

/** A member row with the member's address. */
export type TeamMemberWithEmail = TeamMemberRow & { readonly email: string };

export interface NewTeam {
  readonly id: string;
  readonly name: string;
  readonly nameKey: string;
  readonly record: string;
  readonly fingerprint: Uint8Array;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly key: NewTeamKey;
  readonly creator: NewTeamMember;
}

export interface NewTeamKey {
  readonly epoch: number;
  readonly record: string;
  readonly signature: Uint8Array;
  readonly fingerprint: Uint8Array;
  readonly kem: 'X25519' | 'P-256';
}

export interface NewTeamMember {
  readonly userId: string;
  readonly epoch: number;
  readonly fingerprint: Uint8Array;
  readonly bundle: Uint8Array;
}

/** One box's new epoch in a re-keying: its signed record and the box keys sealed to the new team key. */
export interface BoxEpoch {
  readonly boxId: string;
  readonly epoch: number;
  readonly record: string;
  readonly signature: Uint8Array;
  readonly sealed: Uint8Array;
}

export class TeamRepository {
  readonly #db: Executor;

  constructor(handle: DatabaseHandle) {
    this.#db = handle.db;
  }

  async insert(trx: Executor, t: NewTeam): Promise<void> {
    await trx.insertInto('teams').values({
      id: t.id, name: t.name, name_key: t.nameKey, record: t.record, fingerprint: t.fingerprint, created_by: t.createdBy,
      created_at: t.createdAt, current_epoch: t.key.epoch,
    }).execute();
    await this.insertKey(trx, t.id, t.key, t.createdBy, t.createdAt);
    await this.insertMember(trx, t.id, t.creator, t.createdBy, t.createdAt);
  }

  async insertKey(trx: Executor, teamId: string, k: NewTeamKey, by: string, now: number): Promise<void> {
    await trx.insertInto('team_keys').values({
      team_id: teamId, epoch: k.epoch, record: k.record, signature: k.signature, fingerprint: k.fingerprint, kem: k.kem, created_by: by, created_at: now,
    }).execute();
  }

  async insertMember(trx: Executor, teamId: string, m: NewTeamMember, by: string, now: number): Promise<void> {
    await trx.insertInto('team_members').values({
      team_id: teamId, user_id: m.userId, epoch: m.epoch, fingerprint: m.fingerprint, bundle: m.bundle, added_by: by, added_at: now,
    }).execute();
  }

  async find(teamId: string, db: Executor = this.#db): Promise<TeamRow | undefined> {
    return db.selectFrom('teams').selectAll().where('id', '=', teamId).executeTakeFirst();
  }

  async findByNameKey(nameKey: string, db: Executor = this.#db): Promise<TeamRow | undefined> {
    return db.selectFrom('teams').selectAll().where('name_key', '=', nameKey).executeTakeFirst();
  }

  async findMany(teamIds: readonly string[], db: Executor = this.#db): Promise<TeamRow[]> {
    if (teamIds.length === 0) return [];
    return db.selectFrom('teams').selectAll().where('id', 'in', [...teamIds]).execute();
  }

  async list(): Promise<TeamRow[]> {
    return this.#db.selectFrom('teams').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  /** The teams `userId` belongs to, by name. */
  async listOf(userId: string): Promise<TeamRow[]> {
    return this.#db
      .selectFrom('teams as t')
      .innerJoin('team_members as m', 'm.team_id', 't.id')
      .selectAll('t')
      .where('m.user_id', '=', userId)
      .orderBy('t.name_key')
      .execute();
  }

  async memberCounts(teamIds: readonly string[]): Promise<Map<string, number>> {
    if (teamIds.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom('team_members')
      .select((eb) => ['team_id', eb.fn.countAll<number>().as('n')])
      .where('team_id', 'in', [...teamIds])
      .groupBy('team_id')
      .execute();
    return new Map(rows.map((r) => [r.team_id, Number(r.n)]));
  }

  /** Every epoch's signed record, oldest first. */
  async keys(teamId: string, db: Executor = this.#db): Promise<TeamKeyRow[]> {
    return db.selectFrom('team_keys').selectAll().where('team_id', '=', teamId).orderBy('epoch').execute();
  }

  async key(teamId: string, epoch: number, db: Executor = this.#db): Promise<TeamKeyRow | undefined> {
    return db.selectFrom('team_keys').selectAll().where('team_id', '=', teamId).where('epoch', '=', epoch).executeTakeFirst();
  }

  async member(teamId: string, userId: string, db: Executor = this.#db): Promise<TeamMemberRow | undefined> {
    return db.selectFrom('team_members').selectAll().where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  }

  /** The members with their addresses, by address. */
  async members(teamId: string, db: Executor = this.#db): Promise<TeamMemberWithEmail[]> {
    return db
      .selectFrom('team_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .selectAll('m')
      .select('u.email')
      .where('m.team_id', '=', teamId)
      .orderBy('u.email')
      .execute();
  }

  async memberCount(teamId: string, db: Executor = this.#db): Promise<number> {
    const row = await db.selectFrom('team_members').select((eb) => eb.fn.countAll<number>().as('n')).where('team_id', '=', teamId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The boxes the team owns whose keys were not purged: a removal re-keys each of them. */
  async boxes(teamId: string, db: Executor = this.#db): Promise<{ id: string; name: string; sig: 'Ed25519' | 'ECDSA-P256'; sig_public_key: Uint8Array; epoch: number }[]> {
    const rows = await db
      .selectFrom('drop_boxes as b')
      .select((eb) => [
        'b.id', 'b.name', 'b.sig', 'b.sig_public_key',
        eb.selectFrom('drop_box_keys as k').select((k) => k.fn.max('k.epoch').as('e')).whereRef('k.box_id', '=', 'b.id').as('epoch'),
      ])
      .where('b.owner_team_id', '=', teamId)
      .where('b.purged_at', 'is', null)
      .orderBy('b.created_at')
      .orderBy('b.id')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, sig: r.sig, sig_public_key: r.sig_public_key, epoch: Number(r.epoch ?? 1) }));
  }

  /** Stores the organisation's certificate, once per record (a changed record would have another fingerprint). */
  async certify(trx: Executor, teamId: string, fingerprint: Uint8Array, certificate: Uint8Array, by: string, now: number): Promise<boolean> {
    const result = await trx
      .updateTable('teams')
      .set({ certificate, certified_at: now, certified_by: by })
      .where('id', '=', teamId)
      .where('fingerprint', '=', fingerprint)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** from → from + 1, only if the team is still at `from`: a concurrent re-keying makes this false. */
  async bumpEpoch(trx: Executor, teamId: string, from: number): Promise<boolean> {
    const result = await trx
      .updateTable('teams')
      .set({ current_epoch: from + 1 })
      .where('id', '=', teamId)
      .where('current_epoch', '=', from)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async replaceBundle(trx: Executor, teamId: string, m: NewTeamMember): Promise<boolean> {
    const result = await trx
      .updateTable('team_members')
      .set({ epoch: m.epoch, fingerprint: m.fingerprint, bundle: m.bundle })
      .where('team_id', '=', teamId)
      .where('user_id', '=', m.userId)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async deleteMember(trx: Executor, teamId: string, userId: string): Promise<boolean> {
    const result = await trx.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  /** A box's new epoch: its signed record, and the box keys sealed to the team key of `teamEpoch`. */
  async addBoxEpoch(trx: Executor, teamId: string, teamEpoch: number, teamKeyFingerprint: Uint8Array, b: BoxEpoch, now: number): Promise<void> {
    await trx.insertInto('drop_box_keys').values({ box_id: b.boxId, epoch: b.epoch, record: b.record, signature: b.signature, created_at: now }).execute();
    await trx.insertInto('drop_box_owner_keys').values({
      box_id: b.boxId, user_id: null, team_id: teamId, team_epoch: teamEpoch, fingerprint: teamKeyFingerprint, sealed: b.sealed, created_at: now,
    }).execute();
  }
}
