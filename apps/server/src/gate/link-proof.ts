// Checks a link-possession proof: consumes the challenge, then verifies HMAC(A, nonce) against the stored key A.
import { idFromText, secretFromBytes, verifyLinkProof, type LinkAuthKey } from '@valise/crypto';
import { AppError } from '../http/errors.js';
import type { TransferRow } from '../transfers/transfer.repository.js';
import type { AccessEventRepository } from './access-event.repository.js';
import type { ChallengeRepository } from './challenge.repository.js';

export interface LinkProofInput {
  readonly challengeId: string;
  /** base64url, 32 bytes (checked by the route schema). */
  readonly proof: string;
  readonly now: number;
  readonly ip: string | null;
}

export class LinkProofChecker {
  readonly #challenges: ChallengeRepository;
  readonly #events: AccessEventRepository;

  constructor(challenges: ChallengeRepository, events: AccessEventRepository) {
    this.#challenges = challenges;
    this.#events = events;
  }

  /** Throws challenge_invalid (unknown, used, expired, other transfer) or link_proof_invalid (recorded). */
  async check(transfer: TransferRow, input: LinkProofInput): Promise<void> {
    // Consumed before verifying: a challenge gets exactly one try, right or wrong.
    const nonce = await this.#challenges.consume(input.challengeId, transfer.id, input.now);
    if (nonce === null) throw new AppError('challenge_invalid');
    if (transfer.link_auth_key === null) throw new AppError('link_unavailable');
    const key = secretFromBytes<'LinkAuthKey'>(transfer.link_auth_key) as LinkAuthKey;
    const proof = Buffer.from(input.proof, 'base64url');
    const valid = proof.length === 32 && (await verifyLinkProof(key, idFromText(transfer.id), nonce, proof));
    if (!valid) {
      await this.#events.record({ transferId: transfer.id, kind: 'link_proof_failed', at: input.now, ip: input.ip });
      throw new AppError('link_proof_invalid');
    }
  }
}
