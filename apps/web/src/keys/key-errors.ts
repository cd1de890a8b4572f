// Failures about keys → words. A wrong passphrase, code or passkey fails the wrap's commitment; a key the
// organisation did not sign for that person, or a changed organisation key, is a refusal people must see.
import { MemberKeyError } from '@valise/client';
import { isCryptoError } from '@valise/crypto';
import { errorText } from '../errors.js';
import { t } from '../i18n/i18n.js';
import { PasskeyError } from './passkeys.js';
import { OrgKeyChangedError } from './trust.js';

export function keyErrorText(error: unknown, method?: 'passphrase' | 'recovery' | 'passkey'): string {
  if (isCryptoError(error, 'commitment_mismatch')) {
    return t(method === 'recovery' ? 'keys.error_wrong_recovery' : method === 'passkey' ? 'keys.error_wrong_passkey' : 'keys.error_wrong_passphrase');
  }
  if (isCryptoError(error, 'invalid_encoding') && method === 'recovery') return t('keys.error_recovery_format');
  if (isCryptoError(error, 'signature_invalid') || isCryptoError(error, 'record_invalid')) return t('keys.error_not_certified');
  if (error instanceof OrgKeyChangedError) return t('keys.error_org_key_changed');
  if (error instanceof PasskeyError) return t(`keys.passkey_${error.code}` as 'keys.passkey_failed');
  if (error instanceof MemberKeyError) {
    if (error.code === 'no_such_method') return t('keys.error_no_such_method');
    if (error.code === 'no_org_key') return t('keys.error_no_org_key');
    if (error.code === 'not_yours') return t('keys.error_not_certified');
  }
  return errorText(error);
}
