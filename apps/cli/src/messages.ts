// One line for people from any error: the CLI's own words for API codes (never the server's text verbatim,
// which could carry terminal escapes), and nothing secret (links, tokens, codes never appear in messages).
import { ApiError, IntegrityError, LinkError } from '@valise/client';
import { ERROR_TITLES, type ErrorCode } from '@valise/protocol';
import { isCryptoError } from '@valise/crypto';
import { CliError } from './exit-codes.js';
import { printable } from './terminal-text.js';

const OWN_WORDS: Partial<Record<ErrorCode | 'network_error' | 'unexpected_response', string>> = {
  unauthenticated: 'not signed in, or your sign-in has expired: run `valise login` again',
  invalid_credentials: 'the e-mail address, password or authenticator code is wrong',
  forbidden: 'you may not do this',
  link_unavailable: 'this link is not available: it may have expired, been used up, or never existed',
  link_proof_invalid: 'the link is incomplete or damaged: copy the whole link, including the part after #',
  network_error: 'the server could not be reached: check the address and your connection',
  unexpected_response: 'the server sent an unexpected answer',
  member_keys_exist: 'you already have keys (`valise keys` shows them)',
  member_keys_missing: 'you have no keys yet: create them with `valise keys init`',
  member_key_unavailable: 'this address has no member key signed by your organisation (no account, no keys yet, or not signed yet)',
  last_unlock_method: 'this would leave no passphrase or passkey to unlock your keys',
  org_key_not_configured: 'the server has no organisation key (VALISE_ORG_PUBLIC_KEY)',
  depositor_domain_not_allowed: 'this drop box takes deposits only from certain e-mail domains, and this address is not at one of them',
};

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function apiMessage(e: ApiError): string {
  let text = OWN_WORDS[e.code] ?? (e.code in ERROR_TITLES ? lowerFirst(ERROR_TITLES[e.code as ErrorCode]).replace(/\.$/u, '') : `the server answered HTTP ${e.status}`);
  if (e.code === 'network_error' && /in time/u.test(e.title)) text = 'the server did not answer in time: try again later';
  if (e.code === 'validation_failed' && e.detail) text += `: ${printable(e.detail).slice(0, 200)}`;
  if (e.retryAfter !== undefined && e.status === 429) text += ` (try again in ${e.retryAfter} s)`;
  return text;
}

export function describeError(error: unknown): string {
  if (error instanceof CliError || error instanceof LinkError) return error.message;
  if (error instanceof ApiError) return apiMessage(error);
  if (error instanceof IntegrityError) return `integrity check failed, nothing was kept: ${error.message}`;
  if (isCryptoError(error)) return 'integrity check failed: the data could not be decrypted';
  if (error instanceof DOMException && error.name === 'AbortError') return 'interrupted';
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && error instanceof Error) {
    const where = (error as NodeJS.ErrnoException).path;
    const what = code === 'ENOSPC' ? 'no space left on the disk' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOENT' ? 'no such file or folder' : code;
    return where ? `${where}: ${what}` : what;
  }
  if (error instanceof Error) return printable(error.message);
  return 'unexpected error';
}
