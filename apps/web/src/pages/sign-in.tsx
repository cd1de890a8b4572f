// Sign-in with password and authenticator code. The form is also used in the dialog shown when a session ends
// mid-task, so it reports success to its caller instead of navigating.
import { useState } from 'preact/hooks';
import { navigate } from '../router.js';
import { signIn } from '../session.js';
import { errorText } from '../errors.js';
import { t } from '../i18n/i18n.js';
import { ErrorBox, TextField } from '../components/forms.js';

export function SignInForm({ onSignedIn }: { onSignedIn: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password, code.replace(/\s/gu, ''));
      setPassword('');
      onSignedIn();
    } catch (e) {
      setError(errorText(e));
      setCode('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} class="stack" noValidate>
      {error && <ErrorBox>{error}</ErrorBox>}
      <TextField label={t('signin.email')} type="email" autoComplete="username" required value={email}
        onInput={(e) => setEmail(e.currentTarget.value)} />
      <TextField label={t('signin.password')} type="password" autoComplete="current-password" required value={password}
        onInput={(e) => setPassword(e.currentTarget.value)} />
      <TextField label={t('signin.code')} hint={t('signin.code_hint')} inputMode="numeric" autoComplete="one-time-code"
        pattern="[0-9]{6}" maxLength={7} required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
      <button type="submit" class="primary" disabled={busy}>{busy ? t('signin.busy') : t('signin.submit')}</button>
    </form>
  );
}

export function SignInPage() {
  return (
    <section class="narrow">
      <h1 tabIndex={-1}>{t('signin.title')}</h1>
      <p>{t('signin.intro')}</p>
      <SignInForm onSignedIn={() => navigate('/send', { replace: true })} />
      <p class="hint">{t('signin.recipient_hint')}</p>
    </section>
  );
}
