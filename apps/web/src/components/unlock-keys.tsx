// The inline prompt any page shows when it needs the member's keys: unlock with the key passphrase, the recovery
// code, or a passkey. The unlocked keys go to the page's memory only (keys/unlocked-keys.ts). A member without keys
// is sent to the keys page to set them up.
import type { UnlockedAccount } from '@valise/client';
import { isApiError, unlockMemberKeys } from '@valise/client';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText } from '../errors.js';
import { t } from '../i18n/i18n.js';
import { keyErrorText } from '../keys/key-errors.js';
import { passkeysSupported, unlockWithPasskey } from '../keys/passkeys.js';
import { currentMe, pinnedOrgKey } from '../keys/trust.js';
import { unlockedKeys } from '../keys/unlocked-keys.js';
import { navigate } from '../router.js';
import { withSession } from '../session.js';
import { useStore } from '../store.js';
import { ErrorBox, TextField } from './forms.js';

type Method = 'passphrase' | 'recovery';

/** The unlocked keys, re-rendering when they are unlocked or forgotten. */
export function useUnlockedKeys(): UnlockedAccount | null {
  return useStore(unlockedKeys);
}

/** Shows `children(account)` once the keys are unlocked, the unlock prompt until then. */
export function WithUnlockedKeys({ intro, children }: { intro?: string; children: (account: UnlockedAccount) => ComponentChildren }) {
  const account = useUnlockedKeys();
  return account ? <>{children(account)}</> : <UnlockKeys intro={intro} />;
}

export function UnlockKeys({ intro, onUnlocked }: { intro?: string | undefined; onUnlocked?: (account: UnlockedAccount) => void }) {
  // undefined while asking the server which methods exist; null: no keys set up yet.
  const [methods, setMethods] = useState<{ passkeys: number } | null | undefined>(undefined);
  const [method, setMethod] = useState<Method>('passphrase');
  const [secret, setSecret] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLDivElement>(null);

  useEffect(() => {
    withSession(() => api.getMyKeys()).then(
      (stored) => setMethods({ passkeys: stored.wraps.filter((w) => w.kind === 'passkey').length }),
      (e: unknown) => (isApiError(e, 'member_keys_missing') ? setMethods(null) : setFailure(errorText(e))),
    );
  }, []);

  const focusField = () => setTimeout(() => field.current?.querySelector('input')?.focus(), 0);

  const done = (account: UnlockedAccount) => {
    unlockedKeys.set(account);
    onUnlocked?.(account);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setFailure(null);
    if (secret.trim() === '') {
      setFieldError(t(method === 'recovery' ? 'unlock.recovery_missing' : 'unlock.passphrase_missing'));
      return focusField();
    }
    setFieldError(undefined);
    setBusy(true);
    try {
      const unlockSecret = method === 'recovery' ? { kind: 'recovery' as const, code: secret } : { kind: 'passphrase' as const, passphrase: secret };
      const account = await withSession(async () => unlockMemberKeys(api, currentMe(), unlockSecret, await pinnedOrgKey()));
      setSecret('');
      done(account);
    } catch (e) {
      setFieldError(keyErrorText(e, method));
      focusField();
    } finally {
      setBusy(false);
    }
  };

  const withPasskey = async () => {
    setFailure(null);
    setFieldError(undefined);
    setBusy(true);
    try {
      done(await withSession(() => unlockWithPasskey()));
    } catch (e) {
      setFailure(keyErrorText(e, 'passkey'));
    } finally {
      setBusy(false);
    }
  };

  if (methods === undefined && failure === null) return <p role="status">{t('common.loading')}</p>;
  if (methods === null) {
    return (
      <div class="stack unlock-keys">
        <p>{t('unlock.no_keys')}</p>
        <p><a class="button primary" href="/keys" onClick={(e) => { e.preventDefault(); navigate('/keys'); }}>{t('unlock.set_up')}</a></p>
      </div>
    );
  }
  return (
    <div class="stack unlock-keys">
      <h2>{t('unlock.title')}</h2>
      <p>{intro ?? t('unlock.intro')}</p>
      {failure && <ErrorBox>{failure}</ErrorBox>}
      {methods && (
        <form onSubmit={(e) => void submit(e)} class="stack" noValidate>
          <div ref={field}>
            {method === 'passphrase'
              ? <TextField key="passphrase" label={t('unlock.passphrase')} type="password" autoComplete="current-password" required
                  value={secret} error={fieldError} onInput={(e) => setSecret(e.currentTarget.value)} />
              : <TextField key="recovery" label={t('unlock.recovery_code')} hint={t('unlock.recovery_hint')} autoComplete="off"
                  spellcheck={false} required value={secret} error={fieldError} onInput={(e) => setSecret(e.currentTarget.value)} />}
          </div>
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>{t('unlock.submit')}</button>
            {methods.passkeys > 0 && passkeysSupported() && (
              <button type="button" disabled={busy} onClick={() => void withPasskey()}>{t('unlock.with_passkey')}</button>
            )}
          </div>
          <p role="status" class="hint">{busy ? t('unlock.working') : ''}</p>
          <p>
            <button type="button" class="link-button" onClick={() => {
              setMethod(method === 'passphrase' ? 'recovery' : 'passphrase');
              setSecret('');
              setFieldError(undefined);
              focusField();
            }}>
              {t(method === 'passphrase' ? 'unlock.use_recovery' : 'unlock.use_passphrase')}
            </button>
          </p>
        </form>
      )}
    </div>
  );
}
