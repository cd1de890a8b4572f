// Database access for accounts: users, enrollments, sessions and API tokens, login throttling.
import type { DatabaseHandle } from '../db/database.js';
import type { Row, SessionKind } from '../db/schema.js';
import { withWriteTransaction } from '../db/transaction.js';

export interface NewEnrollment {
  id: string;
  email: string | null;
  isAdmin: boolean;
  tokenHash: Uint8Array;
  expiresAt: number;
  createdBy: string | null;
  now: number;
}

export class AccountRepository {
  readonly #handle: DatabaseHandle;

  constructor(handle: DatabaseHandle) {
    this.#handle = handle;
  }

  get #db() {
    return this.#handle.db;
  }

  async countUsers(): Promise<number> {
    const row = await this.#db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  findUserByEmail(email: string): Promise<Row<'users'> | undefined> {
    return this.#db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  findUserById(id: string): Promise<Row<'users'> | undefined> {
    return this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Replaces any unused enrollment for the same address (or any unused first-admin one when email is null). */
  async createEnrollment(e: NewEnrollment): Promise<void> {
    await withWriteTransaction(this.#handle, async (trx) => {
      let stale = trx.updateTable('enrollments').set({ used_at: e.now }).where('used_at', 'is', null);
      stale = e.email === null ? stale.where('email', 'is', null) : stale.where('email', '=', e.email);
      await stale.execute();
      await trx.insertInto('enrollments').values({
        id: e.id, email: e.email, is_admin: e.isAdmin ? 1 : 0, token_hash: e.tokenHash, totp_secret_enc: null,
        expires_at: e.expiresAt, used_at: null, created_by: e.createdBy, created_at: e.now,
      }).execute();
    });
  }

  findEnrollment(tokenHash: Uint8Array): Promise<Row<'enrollments'> | undefined> {
    return this.#db.selectFrom('enrollments').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  async setEnrollmentTotp(id: string, totpSecretEnc: Uint8Array): Promise<void> {
    await this.#db.updateTable('enrollments').set({ totp_secret_enc: totpSecretEnc }).where('id', '=', id).where('used_at', 'is', null).execute();
  }

  /** Uses the enrollment and creates the member in one transaction; false if the enrollment was used meanwhile. */
  async completeEnrollment(args: {
    enrollmentId: string; userId: string; email: string; isAdmin: boolean; passwordHash: string;
    totpSecretEnc: Uint8Array; totpStep: number; now: number;
  }): Promise<'ok' | 'used' | 'email_taken'> {
    return withWriteTransaction(this.#handle, async (trx) => {
      const used = await trx.updateTable('enrollments').set({ used_at: args.now })
        .where('id', '=', args.enrollmentId).where('used_at', 'is', null).executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) return 'used';
      const taken = await trx.selectFrom('users').select('id').where('email', '=', args.email).executeTakeFirst();
      if (taken) return 'email_taken';
      await trx.insertInto('users').values({
        id: args.userId, email: args.email, is_admin: args.isAdmin ? 1 : 0, status: 'active',
        password_hash: args.passwordHash, totp_secret_enc: args.totpSecretEnc, totp_last_step: args.totpStep,
        quota_bytes: null, created_at: args.now,
      }).execute();
      return 'ok';
    });
  }

  /** Records a TOTP step as used, atomically: false when it (or a later one) was used already. */
  async useTotpStep(userId: string, step: number): Promise<boolean> {
    const result = await this.#db.updateTable('users').set({ totp_last_step: step })
      .where('id', '=', userId)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async createSession(s: { id: string; userId: string; kind: SessionKind; tokenHash: Uint8Array; label: string | null; now: number; expiresAt: number | null }): Promise<void> {
    await this.#db.insertInto('sessions').values({
      id: s.id, user_id: s.userId, kind: s.kind, token_hash: s.tokenHash, label: s.label,
      created_at: s.now, last_used_at: s.now, expires_at: s.expiresAt, revoked_at: null,
    }).execute();
  }

  findLiveSession(tokenHash: Uint8Array, kind: SessionKind, now: number) {
    return this.#db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.id as sessionId', 'sessions.last_used_at', 'sessions.expires_at', 'users.id as userId', 'users.email', 'users.is_admin', 'users.status'])
      .where('sessions.token_hash', '=', tokenHash).where('sessions.kind', '=', kind)
      .where('sessions.revoked_at', 'is', null)
      .where((eb) => eb.or([eb('sessions.expires_at', 'is', null), eb('sessions.expires_at', '>', now)]))
      .executeTakeFirst();
  }

  async touchSession(id: string, now: number, expiresAt: number | null): Promise<void> {
    await this.#db.updateTable('sessions').set({ last_used_at: now, expires_at: expiresAt }).where('id', '=', id).execute();
  }

  async revokeSession(id: string, now: number): Promise<void> {
    await this.#db.updateTable('sessions').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  getThrottle(key: string): Promise<Row<'login_throttle'> | undefined> {
    return this.#db.selectFrom('login_throttle').selectAll().where('key', '=', key).executeTakeFirst();
  }

  /** Adds one failure (atomically) and sets the lock computed from the new count; returns the new count. */
  async recordFailure(key: string, now: number, forgetAfterMs: number, lockFor: (failures: number) => number): Promise<{ failures: number; lockedUntil: number }> {
    return withWriteTransaction(this.#handle, async (trx) => {
      const row = await trx.selectFrom('login_throttle').selectAll().where('key', '=', key).executeTakeFirst();
      const previous = row && now - row.updated_at < forgetAfterMs ? row.failures : 0;
      const failures = previous + 1;
      const lockedUntil = lockFor(failures);
      if (row) {
        await trx.updateTable('login_throttle').set({ failures, locked_until: lockedUntil, updated_at: now }).where('key', '=', key).execute();
      } else {
        await trx.insertInto('login_throttle').values({ key, failures, locked_until: lockedUntil, updated_at: now }).execute();
      }
      return { failures, lockedUntil };
    }, { lock: `login_throttle:${key}` });
  }

  async clearFailures(key: string): Promise<void> {
    await this.#db.deleteFrom('login_throttle').where('key', '=', key).execute();
  }
}
