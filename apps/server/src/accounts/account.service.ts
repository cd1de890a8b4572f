// Account rules: invitations and enrollment (password + TOTP), login with throttling, sessions and API tokens.
import type { Member } from '@valise/protocol';
import { AppError } from '../http/errors.js';
import type { AuditRepository } from '../audit/audit.repository.js';
import type { Clock } from '../clock.js';
import type { Keystore } from '../keystore.js';
import type { Logger } from '../logger.js';
import { openSecret, sealSecret } from '../secret-box.js';
import type { AccountRepository } from './account.repository.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './password.js';
import { lockedUntil, THROTTLE, throttleKeys } from './throttle-policy.js';
import { hashToken, newId, newToken } from './tokens.js';
import { newTotpSecret, verifyTotp } from './totp.js';

export const ENROLLMENT_LIFETIME_MS = 7 * 86_400_000;
/** Web sessions: 12 hours idle, 7 days at most (the idle part slides on use). */
export const WEB_SESSION_IDLE_MS = 12 * 3_600_000;
/** CLI tokens: revoked by logout or an administrator; they lapse after 90 days without use. */
export const API_TOKEN_IDLE_MS = 90 * 86_400_000;
/** Only write last_used_at this often: a busy upload must not turn every part into a session write. */
const TOUCH_EVERY_MS = 60_000;

export interface AccountServiceDeps {
  accounts: AccountRepository;
  audit: AuditRepository;
  keystore: Keystore;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
}

export interface Authenticated extends Member {
  sessionId: string;
  kind: 'web' | 'api';
}

// A real Argon2id hash of a random string: verifying against it costs what a real check costs, so a login for an
// unknown address takes as long as one for a known address.
let dummyHash: Promise<string> | null = null;

export class AccountService {
  readonly #d: AccountServiceDeps;

  constructor(deps: AccountServiceDeps) {
    this.#d = deps;
  }

  /** Creates an enrollment link for `email` (or, with email null, for the first administrator). */
  async invite(email: string | null, options: { admin: boolean; invitedBy: string | null }): Promise<{ link: string; expiresAt: number }> {
    const normalized = email === null ? null : normalizeEmail(email);
    if (normalized !== null && (await this.#d.accounts.findUserByEmail(normalized))) {
      throw new AppError('conflict', { detail: 'A member with this e-mail address already exists.' });
    }
    const now = this.#d.clock.now();
    const token = newToken();
    const expiresAt = now + ENROLLMENT_LIFETIME_MS;
    await this.#d.accounts.createEnrollment({
      id: newId(), email: normalized, isAdmin: options.admin, tokenHash: this.#hash(token), expiresAt,
      createdBy: options.invitedBy, now,
    });
    await this.#d.audit.append({
      actor: options.invitedBy, action: 'account.invite', target: normalized ?? '(first administrator)',
      detail: { admin: options.admin, expiresAt },
    });
    return { link: `${this.#d.publicUrl}/enroll#${token}`, expiresAt };
  }

  /** On a fresh install (no member at all) returns a first-administrator enrollment link; otherwise null. */
  async bootstrapFirstAdmin(): Promise<{ link: string; expiresAt: number } | null> {
    if ((await this.#d.accounts.countUsers()) > 0) return null;
    return this.invite(null, { admin: true, invitedBy: null });
  }

  async startEnrollment(token: string): Promise<{ email: string | null; totpSecret: string; otpauthUri: string }> {
    const enrollment = await this.#liveEnrollment(token);
    const label = enrollment.email ?? 'administrator';
    const { secretBase32, otpauthUri } = newTotpSecret(label);
    await this.#d.accounts.setEnrollmentTotp(enrollment.id, this.#sealTotp(enrollment.id, secretBase32));
    return { email: enrollment.email, totpSecret: secretBase32, otpauthUri };
  }

  async completeEnrollment(input: { token: string; email?: string | undefined; password: string; totpCode: string }): Promise<Member> {
    const enrollment = await this.#liveEnrollment(input.token);
    const email = enrollment.email ?? (input.email === undefined ? null : normalizeEmail(input.email));
    if (email === null) throw new AppError('validation_failed', { detail: 'This enrollment needs your e-mail address.', extra: { errors: [{ path: '/email', message: 'required' }] } });
    if (enrollment.email !== null && input.email !== undefined && normalizeEmail(input.email) !== enrollment.email) {
      throw new AppError('validation_failed', { detail: 'This enrollment is for another e-mail address.', extra: { errors: [{ path: '/email', message: 'does not match the invitation' }] } });
    }
    const problem = checkPasswordPolicy(input.password, email);
    if (problem) throw new AppError('password_too_weak', { detail: passwordProblemText[problem] });
    if (!enrollment.totp_secret_enc) throw new AppError('conflict', { detail: 'Start the enrollment first: the authenticator secret has not been issued.' });
    const secret = this.#openTotp(enrollment.id, enrollment.totp_secret_enc);
    const now = this.#d.clock.now();
    const step = verifyTotp(secret, input.totpCode, now, null);
    if (step === null) throw new AppError('totp_invalid', { detail: 'The authenticator code is wrong. Check the time on your device and try again.' });
    const userId = newId();
    const outcome = await this.#d.accounts.completeEnrollment({
      enrollmentId: enrollment.id, userId, email, isAdmin: enrollment.is_admin === 1,
      passwordHash: await hashPassword(input.password), totpSecretEnc: this.#sealTotp(userId, secret), totpStep: step, now,
    });
    if (outcome === 'used') throw new AppError('enrollment_invalid');
    if (outcome === 'email_taken') throw new AppError('conflict', { detail: 'A member with this e-mail address already exists.' });
    await this.#d.audit.append({ actor: userId, action: 'account.enrolled', target: email, detail: { admin: enrollment.is_admin === 1 } });
    this.#d.logger.info({ event: 'account.enrolled', userId, admin: enrollment.is_admin === 1 }, 'member enrolled');
    return { id: userId, email, isAdmin: enrollment.is_admin === 1 };
  }

  /** Password + TOTP. Failures count per account and per source address; waits grow (throttle-policy.ts). */
  async login(input: { email: string; password: string; totpCode: string; kind: 'web' | 'api'; label: string | null; ip: string }): Promise<{ member: Member; token: string; expiresAt: number | null }> {
    const email = normalizeEmail(input.email);
    const keys = throttleKeys(email, input.ip);
    const now = this.#d.clock.now();
    await this.#refuseIfLocked([keys.account, keys.address], now);

    const user = await this.#d.accounts.findUserByEmail(email);
    const passwordOk = user?.password_hash
      ? await verifyPassword(input.password, user.password_hash)
      : (await verifyPassword(input.password, await (dummyHash ??= hashPassword(newToken()))), false);
    let step: number | null = null;
    if (user && passwordOk && user.status === 'active' && user.totp_secret_enc) {
      step = verifyTotp(this.#openTotp(user.id, user.totp_secret_enc), input.totpCode, now, user.totp_last_step);
      if (step !== null && !(await this.#d.accounts.useTotpStep(user.id, step))) step = null;
    }
    if (!user || step === null) {
      await this.#recordFailure([keys.account, keys.address], now, email, input.ip);
      throw new AppError('invalid_credentials');
    }
    await this.#d.accounts.clearFailures(keys.account);
    await this.#d.accounts.clearFailures(keys.address);

    const token = newToken();
    const expiresAt = now + (input.kind === 'web' ? WEB_SESSION_IDLE_MS : API_TOKEN_IDLE_MS);
    const sessionId = newId();
    await this.#d.accounts.createSession({ id: sessionId, userId: user.id, kind: input.kind, tokenHash: this.#hash(token), label: input.label, now, expiresAt });
    await this.#d.audit.append({ actor: user.id, action: 'account.login', target: user.email, detail: { kind: input.kind, sessionId } });
    return { member: { id: user.id, email: user.email, isAdmin: user.is_admin === 1 }, token, expiresAt };
  }

  /** Resolves a bearer token (CLI) or session cookie (web) to a member; null when absent, revoked or lapsed. */
  async authenticate(token: string, kind: 'web' | 'api'): Promise<Authenticated | null> {
    const now = this.#d.clock.now();
    const session = await this.#d.accounts.findLiveSession(this.#hash(token), kind, now);
    if (!session || session.status !== 'active') return null;
    if (now - session.last_used_at > TOUCH_EVERY_MS) {
      await this.#d.accounts.touchSession(session.sessionId, now, now + (kind === 'web' ? WEB_SESSION_IDLE_MS : API_TOKEN_IDLE_MS));
    }
    return { id: session.userId, email: session.email, isAdmin: session.is_admin === 1, sessionId: session.sessionId, kind };
  }

  async logout(who: Authenticated): Promise<void> {
    await this.#d.accounts.revokeSession(who.sessionId, this.#d.clock.now());
    await this.#d.audit.append({ actor: who.id, action: 'account.logout', target: who.email, detail: { sessionId: who.sessionId } });
  }

  async #liveEnrollment(token: string) {
    const enrollment = await this.#d.accounts.findEnrollment(this.#hash(token));
    if (!enrollment || enrollment.used_at !== null || enrollment.expires_at <= this.#d.clock.now()) {
      throw new AppError('enrollment_invalid');
    }
    return enrollment;
  }

  async #refuseIfLocked(keys: string[], now: number): Promise<void> {
    let until = 0;
    for (const key of keys) until = Math.max(until, (await this.#d.accounts.getThrottle(key))?.locked_until ?? 0);
    if (until > now) {
      const retryAfter = Math.ceil((until - now) / 1000);
      throw new AppError('rate_limited', { detail: `Too many failed sign-ins. Try again in ${retryAfter} s.`, extra: { retryAfter } });
    }
  }

  async #recordFailure(keys: string[], now: number, email: string, ip: string): Promise<void> {
    for (const key of keys) {
      const { failures, lockedUntil: until } = await this.#d.accounts.recordFailure(key, now, THROTTLE.forgetAfterMs, (n) => lockedUntil(n, now));
      if (until > now) {
        const scope = key.startsWith('account:') ? 'account' : 'address';
        // The e-mail and address are what a security officer needs to act on a lockout; no secret is logged.
        this.#d.logger.warn({ event: 'login.lockout', scope, email, ip, failures, lockedForMs: until - now }, 'sign-in locked after repeated failures');
        await this.#d.audit.append({ actor: null, action: 'account.lockout', target: scope === 'account' ? email : ip, detail: { scope, failures, lockedUntil: until } });
      }
    }
  }

  #hash(token: string): Uint8Array {
    return hashToken(this.#d.keystore.sessionKey, token);
  }

  #sealTotp(owner: string, secretBase32: string): Uint8Array {
    return sealSecret(this.#d.keystore.totpKey, 'totp', owner, new TextEncoder().encode(secretBase32));
  }

  #openTotp(owner: string, sealed: Uint8Array): string {
    return new TextDecoder().decode(openSecret(this.#d.keystore.totpKey, 'totp', owner, sealed));
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const passwordProblemText = {
  too_short: 'Choose a password of at least 12 characters.',
  too_long: 'This password is too long.',
  same_as_email: 'The password must not be your e-mail address.',
  one_repeated_character: 'The password must not be one character repeated.',
} as const;
