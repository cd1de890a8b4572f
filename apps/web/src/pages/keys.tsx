// The member's keys (/keys): set them up (after the key-loss warning), see the recovery code once, their status
// (fingerprint, certified by the organisation or not yet), unlock them in this tab, change the passphrase, make a new
// recovery code, add a passkey, and compare safety numbers with a colleague. docs/format.md §11.
import {
  MemberKeyError, type StoredMemberKeys, type UnlockedAccount, changePassphrase, createMemberKeys, isApiError, replaceRecoveryCode,
  resolveContact, safetyNumberWith, unlockMemberKeys,
} from '@valise/client';
import {
  MIN_PASSPHRASE_LENGTH, checkCertifiedMemberKey, fingerprintText, fromBase64Url, memberKeyFingerprint, parseMemberKeyRecord,
} from '@valise/crypto';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText } from '../errors.js';
import { formatDateTime, t, tPlural } from '../i18n/i18n.js';
import { ErrorBox, Notice, TextField } from '../components/forms.js';
import { KeyChangedWarning } from '../components/key-changed-warning.js';
import { UnlockKeys, useUnlockedKeys } from '../components/unlock-keys.js';
import { keyErrorText } from '../keys/key-errors.js';
import { addPasskey, passkeysSupported } from '../keys/passkeys.js';
import { contactPins, currentMe, pinnedOrgKey } from '../keys/trust.js';
import { lockKeys, unlockedKeys } from '../keys/unlocked-keys.js';
import { withSession } from '../session.js';

/** What the page knows of the member's keys: none yet, or the stored keys and their certification. */
type KeysState =
  | { name: 'loading' }
  | { name: 'failed'; message: string }
  | { name: 'none' }
  | { name: 'present'; stored: StoredMemberKeys; fingerprint: Uint8Array; status: CertStatus };

type CertStatus = 'certified' | 'pending' | 'invalid' | 'no_org_key';

export function KeysPage() {
  const [state, setState] = useState<KeysState>({ name: 'loading' });
  /** The recovery code just made (at set-up or replaced): shown until the person confirms they stored it. */
  const [recoveryCode, setRecoveryCode] = useState<string | null>(null);

  const load = async () => {
    try {
      const stored = await withSession(() => api.getMyKeys());
      setState(await describeKeys(stored));
    } catch (e) {
      setState(isApiError(e, 'member_keys_missing') ? { name: 'none' } : { name: 'failed', message: keyErrorText(e) });
    }
  };
  useEffect(() => void load(), []);

  return (
    <section>
      <h1 tabIndex={-1}>{t('keys.title')}</h1>
      {state.name === 'loading' && <p role="status">{t('common.loading')}</p>}
      {state.name === 'failed' && <ErrorBox>{state.message}</ErrorBox>}
      {recoveryCode !== null
        ? <RecoveryCodeView code={recoveryCode} onStored={() => { setRecoveryCode(null); void load(); }} />
        : (
          <>
            {state.name === 'none' && <SetUpKeys onCreated={(code) => { setRecoveryCode(code); void load(); }} />}
            {state.name === 'present' && <KeysStatus state={state} onChanged={() => void load()} onRecoveryCode={setRecoveryCode} />}
          </>
        )}
    </section>
  );
}

async function describeKeys(stored: StoredMemberKeys): Promise<KeysState> {
  const record = parseMemberKeyRecord(stored.record);
  const fingerprint = await memberKeyFingerprint(record);
  let status: CertStatus = 'pending';
  if (stored.certificate !== null) {
    const orgKey = await pinnedOrgKey();
    if (orgKey === null) status = 'no_org_key';
    else {
      try {
        await checkCertifiedMemberKey(orgKey, record, fromBase64Url(stored.certificate), { memberId: record.memberId });
        status = 'certified';
      } catch {
        status = 'invalid';
      }
    }
  }
  return { name: 'present', stored, fingerprint, status };
}

/** Checks a new passphrase and its confirmation; the errors by field. */
function checkNewPassphrase(passphrase: string, again: string): Record<string, string> {
  const found: Record<string, string> = {};
  if ([...passphrase.normalize('NFC')].length < MIN_PASSPHRASE_LENGTH) found.passphrase = t('keys.passphrase_short', { min: MIN_PASSPHRASE_LENGTH });
  else if (again !== passphrase) found.again = t('keys.passphrase_mismatch');
  return found;
}

/** Moves focus to the first field with an error (its error is tied to it and read out). */
function focusFirstInvalid(form: HTMLFormElement | null) {
  setTimeout(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
}

function SetUpKeys({ onCreated }: { onCreated: (recoveryCode: string) => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    const found = checkNewPassphrase(passphrase, again);
    if (!understood) found.understood = t('keys.understood_missing');
    setErrors(found);
    if (Object.keys(found).length > 0) return focusFirstInvalid(form.current);
    setFailure(null);
    setBusy(true);
    try {
      const me = currentMe();
      const orgKey = await withSession(() => pinnedOrgKey());
      const { recoveryCode } = await withSession(() => createMemberKeys(api, me, passphrase));
      // Unlocked at once in this tab (one more Argon2id run): ready to use without typing the passphrase again.
      unlockedKeys.set(await unlockMemberKeys(api, me, { kind: 'passphrase', passphrase }, orgKey));
      setPassphrase('');
      setAgain('');
      onCreated(recoveryCode);
    } catch (e) {
      setFailure(keyErrorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="stack">
      <p>{t('keys.setup_intro')}</p>
      <div class="warning" role="note" aria-labelledby="key-loss-title">
        <h2 id="key-loss-title">{t('keys.warning_title')}</h2>
        <p>{t('keys.warning_text')}</p>
        <p>{t('keys.warning_methods')}</p>
      </div>
      {failure && <ErrorBox>{failure}</ErrorBox>}
      <form ref={form} onSubmit={(e) => void submit(e)} class="stack narrow" noValidate>
        <TextField label={t('keys.passphrase')} hint={t('keys.passphrase_hint', { min: MIN_PASSPHRASE_LENGTH })} type="password"
          autoComplete="new-password" required value={passphrase} error={errors.passphrase} disabled={busy}
          onInput={(e) => setPassphrase(e.currentTarget.value)} />
        <TextField label={t('keys.passphrase_again')} type="password" autoComplete="new-password" required value={again}
          error={errors.again} disabled={busy} onInput={(e) => setAgain(e.currentTarget.value)} />
        <Checkbox label={t('keys.understood')} checked={understood} error={errors.understood} disabled={busy}
          onChange={setUnderstood} />
        <button type="submit" class="primary" disabled={busy}>{t('keys.create')}</button>
        <p role="status" class="hint">{busy ? t('keys.creating') : ''}</p>
      </form>
    </div>
  );
}

function Checkbox({ label, checked, error, disabled, onChange }: {
  label: string; checked: boolean; error?: string | undefined; disabled?: boolean; onChange: (checked: boolean) => void;
}) {
  const id = useId();
  return (
    <div class="field checkbox">
      <input id={id} type="checkbox" checked={checked} disabled={disabled} aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined} onChange={(e) => onChange(e.currentTarget.checked)} />
      <label for={id}>{label}</label>
      {error && <p class="field-error" id={`${id}-error`}>{error}</p>}
    </div>
  );
}

/** The recovery code, shown this once: the person confirms they stored it before it goes away. */
function RecoveryCodeView({ code, onStored }: { code: string; onStored: () => void }) {
  const [stored, setStored] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div class="stack narrow">
      <h2 ref={heading} tabIndex={-1}>{t('keys.recovery_title')}</h2>
      <p>{t('keys.recovery_intro')}</p>
      <p class="recovery-code"><code aria-label={t('keys.recovery_code_label')}>{code}</code></p>
      <p class="hint">{t('keys.recovery_hint')}</p>
      <Checkbox label={t('keys.recovery_stored')} checked={stored} onChange={setStored} />
      <button type="button" class="primary" disabled={!stored} onClick={onStored}>{t('keys.recovery_done')}</button>
    </div>
  );
}

function KeysStatus({ state, onChanged, onRecoveryCode }: {
  state: Extract<KeysState, { name: 'present' }>; onChanged: () => void; onRecoveryCode: (code: string) => void;
}) {
  const account = useUnlockedKeys();
  const record = parseMemberKeyRecord(state.stored.record);
  const passkeys = state.stored.wraps.filter((w) => w.kind === 'passkey').length;
  const methods = [
    ...(state.stored.wraps.some((w) => w.kind === 'passphrase') ? [t('keys.method_passphrase')] : []),
    ...(state.stored.wraps.some((w) => w.kind === 'recovery') ? [t('keys.method_recovery')] : []),
    ...(passkeys > 0 ? [tPlural('keys.method_passkeys', passkeys)] : []),
  ];
  return (
    <div class="stack">
      <dl class="facts">
        <dt>{t('keys.for')}</dt>
        <dd>{record.email}</dd>
        <dt>{t('keys.fingerprint')}</dt>
        <dd><code class="fingerprint">{fingerprintText(state.fingerprint)}</code></dd>
        <dt>{t('keys.status')}</dt>
        <dd class={`key-status key-status-${state.status}`}>{t(`keys.status_${state.status}` as 'keys.status_certified')}</dd>
        <dt>{t('keys.created')}</dt>
        <dd>{formatDateTime(Date.parse(record.createdAt))}</dd>
        <dt>{t('keys.methods')}</dt>
        <dd>{methods.join(', ')}</dd>
      </dl>
      {state.status === 'pending' && <p class="hint">{t('keys.pending_hint')}</p>}
      {state.status === 'invalid' && <ErrorBox>{t('keys.status_invalid_text')}</ErrorBox>}
      {account
        ? (
          <>
            <div class="row">
              <Notice>{t('keys.unlocked')}</Notice>
              <button type="button" onClick={lockKeys}>{t('keys.lock')}</button>
            </div>
            <ChangePassphrase account={account} onChanged={onChanged} />
            <NewRecoveryCode account={account} onCode={(code) => { onChanged(); onRecoveryCode(code); }} />
            <AddPasskey account={account} onAdded={onChanged} />
          </>
        )
        : <UnlockKeys intro={t('keys.unlock_intro')} />}
      <SafetyNumber mine={state.fingerprint} />
    </div>
  );
}

/** After a change of unlock methods, the unlocked account holds the wraps as they now are. */
async function refreshAccount(account: UnlockedAccount): Promise<void> {
  const stored = await api.getMyKeys();
  if (unlockedKeys.get() === account) unlockedKeys.set({ ...account, stored });
}

function ChangePassphrase({ account, onChanged }: { account: UnlockedAccount; onChanged: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    const found = checkNewPassphrase(passphrase, again);
    setErrors(found);
    setResult(null);
    if (Object.keys(found).length > 0) return focusFirstInvalid(form.current);
    setBusy(true);
    try {
      await withSession(() => changePassphrase(api, currentMe(), account, passphrase));
      await refreshAccount(account);
      setPassphrase('');
      setAgain('');
      setResult({ ok: true, text: t('keys.passphrase_changed') });
      onChanged();
    } catch (e) {
      setResult({ ok: false, text: keyErrorText(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form ref={form} onSubmit={(e) => void submit(e)} class="stack narrow section" noValidate aria-labelledby="change-passphrase-title">
      <h2 id="change-passphrase-title">{t('keys.change_title')}</h2>
      <p class="hint">{t('keys.change_intro')}</p>
      <TextField label={t('keys.new_passphrase')} hint={t('keys.passphrase_hint', { min: MIN_PASSPHRASE_LENGTH })} type="password"
        autoComplete="new-password" required value={passphrase} error={errors.passphrase} disabled={busy}
        onInput={(e) => setPassphrase(e.currentTarget.value)} />
      <TextField label={t('keys.new_passphrase_again')} type="password" autoComplete="new-password" required value={again}
        error={errors.again} disabled={busy} onInput={(e) => setAgain(e.currentTarget.value)} />
      <button type="submit" disabled={busy}>{t('keys.change_submit')}</button>
      <p role="status" class="hint">{busy ? t('keys.working') : ''}</p>
      {result && (result.ok ? <Notice>{result.text}</Notice> : <ErrorBox>{result.text}</ErrorBox>)}
    </form>
  );
}

function NewRecoveryCode({ account, onCode }: { account: UnlockedAccount; onCode: (code: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const replace = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const code = await withSession(() => replaceRecoveryCode(api, currentMe(), account));
      await refreshAccount(account);
      onCode(code);
    } catch (e) {
      setFailure(keyErrorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="stack narrow section">
      <h2>{t('keys.new_recovery_title')}</h2>
      <p class="hint">{t('keys.new_recovery_intro')}</p>
      {failure && <ErrorBox>{failure}</ErrorBox>}
      {confirming
        ? (
          <div class="row">
            <button type="button" class="primary" disabled={busy} onClick={() => void replace()}>{t('keys.new_recovery_confirm')}</button>
            <button type="button" disabled={busy} onClick={() => setConfirming(false)}>{t('keys.cancel')}</button>
          </div>
        )
        : <p><button type="button" onClick={() => setConfirming(true)}>{t('keys.new_recovery_submit')}</button></p>}
    </div>
  );
}

function AddPasskey({ account, onAdded }: { account: UnlockedAccount; onAdded: () => void }) {
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const add = async () => {
    setBusy(true);
    setResult(null);
    try {
      await withSession(() => addPasskey(account));
      await refreshAccount(account);
      setResult({ ok: true, text: t('keys.passkey_added') });
      onAdded();
    } catch (e) {
      setResult({ ok: false, text: keyErrorText(e, 'passkey') });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="stack narrow section">
      <h2>{t('keys.passkey_title')}</h2>
      <p class="hint">{t('keys.passkey_intro')}</p>
      {passkeysSupported()
        ? <p><button type="button" disabled={busy} onClick={() => void add()}>{t('keys.passkey_add')}</button></p>
        : <Notice>{t('keys.passkey_unsupported')}</Notice>}
      <p role="status" class="hint">{busy ? t('keys.passkey_waiting') : ''}</p>
      {result && (result.ok ? <Notice>{result.text}</Notice> : <ErrorBox>{result.text}</ErrorBox>)}
    </div>
  );
}

type Comparison =
  | { name: 'none' }
  | { name: 'number'; email: string; digits: string[] }
  | { name: 'changed'; email: string; pinned: string; served: string };

/** Compares keys with a colleague: both read the same 60 digits, or somebody stands between them. */
function SafetyNumber({ mine }: { mine: Uint8Array }) {
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [comparison, setComparison] = useState<Comparison>({ name: 'none' });
  const [busy, setBusy] = useState(false);
  const result = useRef<HTMLDivElement>(null);

  const compare = async (acceptChange: boolean) => {
    const address = email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(address)) return setError(t('keys.safety_email_invalid'));
    setError(undefined);
    setBusy(true);
    try {
      const me = currentMe();
      const orgKey = await withSession(() => pinnedOrgKey());
      const contact = await withSession(() => resolveContact(api, orgKey, contactPins(me), { email: address }, { acceptChange }));
      const digits = (await safetyNumberWith(mine, contact.key)).split(' ');
      setComparison({ name: 'number', email: contact.key.record.email, digits });
    } catch (e) {
      if (e instanceof MemberKeyError && e.code === 'key_changed' && e.detail) {
        setComparison({ name: 'changed', email: e.detail.email, pinned: e.detail.pinned, served: e.detail.served });
      } else {
        setComparison({ name: 'none' });
        setError(isApiError(e) ? errorText(e) : keyErrorText(e));
      }
    } finally {
      setBusy(false);
    }
    setTimeout(() => result.current?.querySelector<HTMLElement>('[tabindex="-1"]')?.focus(), 0);
  };

  return (
    <div class="stack section">
      <h2>{t('keys.safety_title')}</h2>
      <p class="hint">{t('keys.safety_intro')}</p>
      <form onSubmit={(e) => { e.preventDefault(); void compare(false); }} class="stack narrow" noValidate>
        <TextField label={t('keys.safety_email')} type="email" autoComplete="off" required value={email} error={error} disabled={busy}
          onInput={(e) => { setEmail(e.currentTarget.value); setComparison({ name: 'none' }); }} />
        <button type="submit" disabled={busy}>{t('keys.safety_submit')}</button>
      </form>
      <div ref={result}>
        {comparison.name === 'number' && (
          <div class="stack">
            <h3 tabIndex={-1}>{t('keys.safety_with', { email: comparison.email })}</h3>
            <p class="safety-number" aria-label={t('keys.safety_digits_label', { digits: comparison.digits.join(' ') })}>
              {comparison.digits.map((group, i) => <span key={i}>{group}</span>)}
            </p>
            <p class="hint">{t('keys.safety_hint')}</p>
          </div>
        )}
        {comparison.name === 'changed' && (
          <KeyChangedWarning email={comparison.email} pinned={comparison.pinned} served={comparison.served}
            accept={t('keys.key_changed_accept_compare')} onAccept={() => void compare(true)} busy={busy} />
        )}
      </div>
    </div>
  );
}
