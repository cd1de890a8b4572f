// Enrollment from an invitation link (/enroll#<token>): choose a password, add the authenticator (QR code drawn
// locally, or the key typed by hand), confirm with a code. The token is taken out of the address bar at once.
import type { EnrollStartResponse } from '@valise/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText } from '../errors.js';
import { t } from '../i18n/i18n.js';
import { navigate } from '../router.js';
import { ErrorBox, TextField } from '../components/forms.js';
import { QrCode } from '../components/qr-code.js';

const PASSWORD_MIN = 12;
/** Read once: the fragment is removed from the address bar before anything else happens. */
const tokenFromAddress = (() => {
  if (location.pathname.replace(/\/+$/u, '') !== '/enroll') return '';
  const token = location.hash.slice(1);
  if (token) history.replaceState(null, '', location.pathname);
  return token;
})();

export function EnrollPage() {
  const [started, setStarted] = useState<EnrollStartResponse | null>(null);
  const [fatal, setFatal] = useState<string | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!/^[A-Za-z0-9_-]{43}$/u.test(tokenFromAddress)) {
      setFatal(t('enroll.link_invalid'));
      return;
    }
    api.enrollStart({ token: tokenFromAddress }).then(setStarted, (e: unknown) => setFatal(errorText(e)));
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!started) return;
    const found: Record<string, string> = {};
    if (started.email === null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(email.trim())) found.email = t('enroll.email_invalid');
    if (password.length < PASSWORD_MIN) found.password = t('enroll.password_short', { min: PASSWORD_MIN });
    if (again !== password) found.again = t('enroll.password_mismatch');
    if (!/^[0-9]{6}$/u.test(code.replace(/\s/gu, ''))) found.code = t('enroll.code_invalid');
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    setError(null);
    try {
      await api.enrollComplete({
        token: tokenFromAddress, password, totpCode: code.replace(/\s/gu, ''),
        ...(started.email === null ? { email: email.trim().toLowerCase() } : {}),
      });
      navigate('/signin', { replace: true });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  if (fatal) {
    return (
      <section class="narrow">
        <h1 tabIndex={-1}>{t('enroll.title')}</h1>
        <ErrorBox>{fatal}</ErrorBox>
      </section>
    );
  }
  if (!started) return <p role="status">{t('common.loading')}</p>;
  return (
    <section class="narrow">
      <h1 tabIndex={-1}>{t('enroll.title')}</h1>
      <p>{started.email ? t('enroll.intro_for', { email: started.email }) : t('enroll.intro_admin')}</p>
      <form onSubmit={submit} class="stack" noValidate>
        {error && <ErrorBox>{error}</ErrorBox>}
        {started.email === null && (
          <TextField label={t('enroll.email')} type="email" autoComplete="email" required value={email} error={errors.email}
            onInput={(e) => setEmail(e.currentTarget.value)} />
        )}
        <TextField label={t('enroll.password')} hint={t('enroll.password_hint', { min: PASSWORD_MIN })} type="password"
          autoComplete="new-password" required value={password} error={errors.password}
          onInput={(e) => setPassword(e.currentTarget.value)} />
        <TextField label={t('enroll.password_again')} type="password" autoComplete="new-password" required value={again}
          error={errors.again} onInput={(e) => setAgain(e.currentTarget.value)} />
        <fieldset>
          <legend>{t('enroll.totp_title')}</legend>
          <p>{t('enroll.totp_intro')}</p>
          <QrCode text={started.otpauthUri} label={t('enroll.qr_label')} />
          <p>{t('enroll.totp_manual')} <code class="secret">{started.totpSecret}</code></p>
          <TextField label={t('enroll.code')} inputMode="numeric" autoComplete="one-time-code" maxLength={7} required
            value={code} error={errors.code} onInput={(e) => setCode(e.currentTarget.value)} />
        </fieldset>
        <button type="submit" class="primary" disabled={busy}>{t('enroll.submit')}</button>
      </form>
    </section>
  );
}
