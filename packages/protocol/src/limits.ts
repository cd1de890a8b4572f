// Limits that client and server agree on (policy limits that an operator may change live in server config).
export const LIMITS = {
  /** Default JSON body limit. */
  jsonBodyBytes: 64 * 1024,
  /** Finalize carries the encrypted manifest (part hashes of every file). */
  finalizeBodyBytes: 17 * 1024 * 1024,
  /** One-time codes: 8 digits, valid 10 minutes, 5 attempts. */
  codeDigits: 8,
  codeLifetimeMs: 10 * 60 * 1000,
  codeAttempts: 5,
  /** Link-proof challenges live 5 minutes and are single use. */
  challengeLifetimeMs: 5 * 60 * 1000,
  /** A grant is idle-timed-out after 30 minutes and never outlives its transfer. */
  grantIdleMs: 30 * 60 * 1000,
  /** GET /transfers pages: this many by default, at most the maximum. */
  transferPageDefault: 50,
  transferPageMax: 200,
} as const;

/** Teams one transfer may be sent to (each gets one team slot). */
export const MAX_TRANSFER_TEAMS = 20;

export const API_PREFIX = '/api/v1';
