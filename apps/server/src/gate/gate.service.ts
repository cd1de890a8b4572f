// The gate (P2): link proof, then recipient identity (an e-mailed code, or a member who is a recipient) → a grant.
import { randomBytes } from 'node:crypto';
import {
  LIMITS, type ChallengeResponse, type CodeGrantRequest, type GrantResponse, type MemberGrantRequest,
  type RequestCodeRequest, type RequestCodeResponse,
} from '@valise/protocol';
import { hashToken, newId, newToken } from '../accounts/tokens.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { Keystore } from '../keystore.js';
import type { Logger } from '../logger.js';
import type { BackgroundMailer } from '../mail/background-mailer.js';
import { requireAvailable } from '../transfers/availability.js';
import { normalizeEmail } from '../transfers/transfer.policy.js';
import { TransferRepository, type TransferRow } from '../transfers/transfer.repository.js';
import { AccessEventRepository } from './access-event.repository.js';
import { ChallengeRepository } from './challenge.repository.js';
import { codeMail } from './code-mail.js';
import { GrantIssuer } from './grant-issuer.js';
import { LinkProofChecker } from './link-proof.js';
import { codeHash, newCode, sameHash } from './one-time-code.js';
import { OpeningRepository } from './opening.repository.js';

/** Codes per (transfer, address) and per transfer within RATE_WINDOW_MS. */
export const CODES_PER_ADDRESS = 5;
export const CODES_PER_TRANSFER = 30;
export const RATE_WINDOW_MS = 60 * 60 * 1000;

export interface GateDeps {
  readonly handle: DatabaseHandle;
  readonly keystore: Keystore;
  readonly clock: Clock;
  /** Code e-mails leave after the answer (see #sendInBackground). */
  readonly mailLater: BackgroundMailer;
  readonly logger: Logger;
}

export interface Caller {
  readonly ip: string | null;
}

export interface GateMember {
  readonly id: string;
  readonly email: string;
}

export class GateService {
  readonly #deps: GateDeps;
  readonly #transfers: TransferRepository;
  readonly #challenges: ChallengeRepository;
  readonly #openings: OpeningRepository;
  readonly #events: AccessEventRepository;
  readonly #proofs: LinkProofChecker;
  readonly #grants: GrantIssuer;
  /** Code e-mails still being sent: requestCode answers before they leave (see there), shutdown waits for them. */

  constructor(deps: GateDeps) {
    this.#deps = deps;
    this.#transfers = new TransferRepository(deps.handle);
    this.#challenges = new ChallengeRepository(deps.handle);
    this.#openings = new OpeningRepository(deps.handle);
    this.#events = new AccessEventRepository(deps.handle);
    this.#proofs = new LinkProofChecker(this.#challenges, this.#events);
    this.#grants = new GrantIssuer(deps);
  }

  /** A fresh single-use nonce to prove the link secret against. */
  async challenge(transferId: string): Promise<ChallengeResponse> {
    const now = this.#deps.clock.now();
    const transfer = await this.#available(transferId, now);
    const challenge = { id: newId(), transferId, nonce: new Uint8Array(randomBytes(32)), expiresAt: now + LIMITS.challengeLifetimeMs };
    await this.#challenges.insert(challenge);
    return {
      challengeId: challenge.id,
      nonce: Buffer.from(challenge.nonce).toString('base64url'),
      slotId: transfer.link_slot_id as string,
      expiresAt: challenge.expiresAt,
    };
  }

  /**
   * Link proof + an address → an opening token. Recipients get a code by e-mail; any other address gets a decoy
   * opening that looks and behaves the same but can never succeed, so the answer does not reveal who the recipients
   * are (the attempt is recorded for the sender).
   */
  async requestCode(transferId: string, request: RequestCodeRequest, caller: Caller): Promise<RequestCodeResponse> {
    const { keystore, clock } = this.#deps;
    const now = clock.now();
    const transfer = await this.#available(transferId, now);
    await this.#proofs.check(transfer, { challengeId: request.challengeId, proof: request.proof, now, ip: caller.ip });

    // Rate limits count only requests that proved the link: without it, anyone could use up a recipient's codes.
    const email = normalizeEmail(request.email);
    const recipient = await this.#transfers.findRecipient(transferId, email);
    const id = newId();
    const token = newToken();
    const code = newCode();
    const codeExpiresAt = now + LIMITS.codeLifetimeMs;
    const limited = await withWriteTransaction(
      this.#deps.handle,
      async (trx) => {
        const since = now - RATE_WINDOW_MS;
        const byAddress = await this.#openings.createdSince(trx, transferId, since, email);
        const byTransfer = await this.#openings.createdSince(trx, transferId, since);
        const full = byAddress.length >= CODES_PER_ADDRESS ? byAddress : byTransfer.length >= CODES_PER_TRANSFER ? byTransfer : null;
        if (full !== null) {
          // The oldest opening in the window is the first to leave it.
          return Math.max(1, Math.ceil(((full[0] ?? now) + RATE_WINDOW_MS - now) / 1000));
        }
        await this.#openings.insert(trx, {
          id, transferId, recipientId: recipient?.id ?? null, email,
          tokenHash: hashToken(keystore.sessionKey, token),
          codeHash: codeHash(keystore.sessionKey, id, code),
          codeExpiresAt, createdAt: now,
        });
        return null;
      },
      { lock: `gate-codes:${transferId}` },
    );
    if (limited !== null) {
      await this.#events.record({
        transferId, kind: 'code_rate_limited', at: now, recipientId: recipient?.id ?? null, ip: caller.ip,
        detail: recipient ? null : `address: ${email}`,
      });
      throw new AppError('rate_limited', { extra: { retryAfter: limited } });
    }

    if (recipient) {
      await this.#events.record({ transferId, kind: 'code_sent', at: now, recipientId: recipient.id, ip: caller.ip });
      this.#sendInBackground(transfer, email, code);
    } else {
      await this.#events.record({ transferId, kind: 'code_decoy', at: now, ip: caller.ip, detail: `address: ${email}` });
    }
    return { openingToken: token, codeExpiresAt };
  }

  /** Opening token + code → a grant (consumes one download). */
  async codeGrant(transferId: string, request: CodeGrantRequest, caller: Caller): Promise<GrantResponse> {
    const { keystore, clock } = this.#deps;
    const now = clock.now();
    await this.#available(transferId, now);
    const opening = await this.#openings.findByTokenHash(transferId, hashToken(keystore.sessionKey, request.openingToken));
    if (!opening || opening.completed_at !== null) throw new AppError('challenge_invalid');
    if (opening.code_expires_at <= now) throw new AppError('code_expired');

    // Counted before comparing, so that every guess costs an attempt, even concurrent ones.
    const attempts = await this.#openings.countAttempt(opening.id, LIMITS.codeAttempts);
    if (attempts === null) throw new AppError('too_many_attempts');
    // A decoy has no recipient: no code can ever match it, however lucky the guess.
    const right = opening.recipient_id !== null && sameHash(codeHash(keystore.sessionKey, opening.id, request.code), opening.code_hash);
    if (!right) {
      const base = { transferId, at: now, recipientId: opening.recipient_id, ip: caller.ip };
      await this.#events.record({ ...base, kind: 'code_failed', detail: opening.recipient_id ? null : `address: ${opening.email}` });
      const attemptsLeft = LIMITS.codeAttempts - attempts;
      if (attemptsLeft <= 0) {
        await this.#events.record({ ...base, kind: 'code_locked', detail: opening.recipient_id ? null : `address: ${opening.email}` });
        throw new AppError('too_many_attempts');
      }
      throw new AppError('code_invalid', { extra: { attemptsLeft } });
    }
    return this.#grants.issue(transferId, { recipientId: opening.recipient_id, userId: null, via: 'code', ip: caller.ip }, async (trx) => {
      if (!(await this.#openings.complete(trx, opening.id, now))) throw new AppError('challenge_invalid');
    });
  }

  /** A signed-in member named as a recipient needs no code: their sign-in (with its second factor) is the identity. */
  async memberGrant(member: GateMember, transferId: string, request: MemberGrantRequest, caller: Caller): Promise<GrantResponse> {
    const now = this.#deps.clock.now();
    const transfer = await this.#available(transferId, now);
    await this.#proofs.check(transfer, { challengeId: request.challengeId, proof: request.proof, now, ip: caller.ip });
    const recipient = await this.#transfers.findRecipient(transferId, normalizeEmail(member.email));
    if (!recipient) throw new AppError('forbidden', { detail: 'You are not a recipient of this transfer.' });
    return this.#grants.issue(transferId, { recipientId: recipient.id, userId: member.id, via: 'member', ip: caller.ip });
  }

  /**
   * The transfer if a new grant could be issued now; otherwise the 410 its state calls for (cause logged apart). A
   * transfer sent to members only has no link: to the link routes it is a link that never existed, whatever its state.
   */
  async #available(transferId: string, now: number): Promise<TransferRow> {
    const transfer = await this.#transfers.findById(transferId);
    if (transfer !== undefined && transfer.state !== 'uploading' && transfer.link_slot_id === null) {
      throw new AppError('link_unavailable', { reason: `transfer ${transferId}: no link (members only)` });
    }
    return requireAvailable(transferId, transfer, now, { needsDownloadLeft: true });
  }

  /**
   * The answer does not wait for the mail server: waiting would make a recipient's answer measurably slower than a
   * decoy's, and reveal who the recipients are. A failure is logged (the recipient can ask again).
   */
  #sendInBackground(transfer: TransferRow, to: string, code: string): void {
    this.#deps.mailLater.run(async (mailer) => {
      // Only member transfers have a link (a deposit has none, so never reaches the gate): sender_id is set here.
      const senderEmail = (transfer.sender_id === null ? undefined : await this.#transfers.senderEmail(transfer.sender_id)) ?? 'a Valise user';
      await mailer.send(codeMail({ to, code, senderEmail, transferExpiresAt: transfer.expires_at ?? 0 }));
    }, { transferId: transfer.id });
  }
}
