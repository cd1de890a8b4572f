// The loud warning shown when a colleague's key changed since this browser first trusted it (keys page, send page).
import { fingerprintText, fromBase64Url } from '@valise/crypto';
import { t } from '../i18n/i18n.js';

/**
 * The loud warning for a colleague whose key changed since this browser first trusted it: the key is still signed
 * by the organisation (new computer, lost passphrase…), or someone stands in between. Nothing goes on until the
 * person says they checked.
 */
export function KeyChangedWarning({ email, pinned, served, accept, onAccept, busy, level = 3 }: {
  email: string; pinned: string; served: string; accept: string; onAccept: () => void; busy?: boolean;
  /** The heading's level where the warning sits in the page. */
  level?: 2 | 3;
}) {
  const Heading = level === 2 ? 'h2' : 'h3';
  return (
    <div class="warning key-changed" role="alert">
      <Heading tabIndex={-1}>{t('keys.key_changed_title', { email })}</Heading>
      <p>{t('keys.key_changed_text', { email })}</p>
      <dl class="facts">
        <dt>{t('keys.key_changed_before')}</dt>
        <dd><code class="fingerprint">{fingerprintText(fromBase64Url(pinned))}</code></dd>
        <dt>{t('keys.key_changed_now')}</dt>
        <dd><code class="fingerprint">{fingerprintText(fromBase64Url(served))}</code></dd>
      </dl>
      <p>{t('keys.key_changed_check')}</p>
      <button type="button" disabled={busy} onClick={onAccept}>{accept}</button>
    </div>
  );
}
