// The documented exit codes of `valise` (README.md, `valise --help`), and the one mapping from errors to them.
import { ApiError, IntegrityError, LinkError } from '@valise/client';
import { isCryptoError } from '@valise/crypto';

export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  auth: 3,
  gone: 4,
  integrity: 5,
  unavailable: 6,
  rateLimited: 7,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    unexpected error
  2    usage error (bad command line or values, including values the server's policy refuses)
  3    authentication needed or failed (not signed in, wrong password or code)
  4    not found or gone (link expired, downloads exhausted, transfer revoked)
  5    integrity failure (the download was tampered with or is corrupt; nothing was kept)
  6    network error or server unavailable
  7    rate limited (too many attempts; wait and try again)
  130  interrupted (Ctrl-C)`;

/** An error the CLI itself raises, with its exit code and a message for people. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(readonly exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Ctrl-C, or stdin closed in the middle of a TTY prompt. */
export class InterruptedError extends CliError {
  constructor() {
    super(EXIT.interrupted, 'interrupted');
  }
}

const BY_API_CODE: Partial<Record<ApiError['code'], ExitCode>> = {
  validation_failed: EXIT.usage,
  expiry_out_of_range: EXIT.usage,
  max_downloads_out_of_range: EXIT.usage,
  too_many_files: EXIT.usage,
  too_many_recipients: EXIT.usage,
  file_too_large: EXIT.usage,
  password_too_weak: EXIT.usage,
  member_keys_exist: EXIT.usage,
  member_keys_missing: EXIT.usage,
  last_unlock_method: EXIT.usage,
  org_key_not_configured: EXIT.usage,
  member_key_changed: EXIT.usage,
  member_key_unavailable: EXIT.gone,
  certificate_invalid: EXIT.integrity,
  depositor_domain_not_allowed: EXIT.usage,
  deposit_too_large: EXIT.usage,
  box_quota_exceeded: EXIT.usage,
  box_closed: EXIT.gone,
  box_expired: EXIT.gone,
  box_full: EXIT.gone,
  deposit_token_invalid: EXIT.auth,
  unauthenticated: EXIT.auth,
  invalid_credentials: EXIT.auth,
  forbidden: EXIT.auth,
  totp_invalid: EXIT.auth,
  link_proof_invalid: EXIT.auth,
  challenge_invalid: EXIT.auth,
  code_invalid: EXIT.auth,
  code_expired: EXIT.auth,
  grant_invalid: EXIT.auth,
  not_found: EXIT.gone,
  enrollment_invalid: EXIT.gone,
  link_unavailable: EXIT.gone,
  transfer_expired: EXIT.gone,
  transfer_exhausted: EXIT.gone,
  transfer_revoked: EXIT.gone,
  rate_limited: EXIT.rateLimited,
  too_many_attempts: EXIT.rateLimited,
  network_error: EXIT.unavailable,
  unavailable: EXIT.unavailable,
  internal_error: EXIT.unavailable,
};

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof LinkError) return EXIT.usage;
  if (error instanceof IntegrityError) return EXIT.integrity;
  if (isCryptoError(error)) return EXIT.integrity;
  if (error instanceof ApiError) return BY_API_CODE[error.code] ?? (error.status >= 500 ? EXIT.unavailable : EXIT.unexpected);
  if (error instanceof DOMException && (error.name === 'AbortError' || error.name === 'TimeoutError')) return EXIT.interrupted;
  return EXIT.unexpected;
}
