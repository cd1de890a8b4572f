// The page frame (skip link, header with navigation and language, main, footer) and the view for the route.
// Moving between views puts focus on the new view's heading, as a page load would for a screen reader.
import { useEffect, useRef } from 'preact/hooks';
import { LOCALES, type Locale, setLocale, t, useLocale } from './i18n/i18n.js';
import { type Route, currentRoute, linkArrivals, navigate } from './router.js';
import { member, reauthentication, signOut } from './session.js';
import { useStore } from './store.js';
import { Dialog } from './components/dialog.js';
import { AccessibilityPage } from './pages/accessibility.js';
import { DashboardPage } from './pages/dashboard.js';
import { EnrollPage } from './pages/enroll.js';
import { ReceivePage } from './pages/receive.js';
import { SendPage } from './pages/send.js';
import { BoxesPage } from './pages/boxes.js';
import { DepositPage } from './pages/deposit.js';
import { InboxPage } from './pages/inbox.js';
import { KeysPage } from './pages/keys.js';
import { TeamsPage } from './pages/teams.js';
import { SignInForm, SignInPage } from './pages/sign-in.js';
import { NotFoundPage } from './pages/not-found.js';

export function App() {
  useLocale();
  const route = useStore(currentRoute);
  const who = useStore(member);
  const reauth = useStore(reauthentication);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route]);

  return (
    <>
      <a class="skip-link" href="#main">{t('nav.skip')}</a>
      <header class="site-header">
        <a class="brand" href="/" onClick={internal('/')}>Valise</a>
        <nav aria-label={t('nav.label')}>
          <ul>
            {who && <li><a href="/send" onClick={internal('/send')} aria-current={route.name === 'send' ? 'page' : undefined}>{t('nav.send')}</a></li>}
            {who && <li><a href="/transfers" onClick={internal('/transfers')} aria-current={route.name === 'transfers' ? 'page' : undefined}>{t('nav.transfers')}</a></li>}
            {who && <li><a href="/boxes" onClick={internal('/boxes')} aria-current={route.name === 'boxes' ? 'page' : undefined}>{t('nav.boxes')}</a></li>}
            {who && <li><a href="/teams" onClick={internal('/teams')} aria-current={route.name === 'teams' ? 'page' : undefined}>{t('nav.teams')}</a></li>}
            {who && <li><a href="/inbox" onClick={internal('/inbox')} aria-current={route.name === 'inbox' ? 'page' : undefined}>{t('nav.inbox')}</a></li>}
            {who && <li><a href="/keys" onClick={internal('/keys')} aria-current={route.name === 'keys' ? 'page' : undefined}>{t('nav.keys')}</a></li>}
            {who === null && route.name !== 'receive' && route.name !== 'deposit' && <li><a href="/signin" onClick={internal('/signin')} aria-current={route.name === 'signin' ? 'page' : undefined}>{t('nav.signin')}</a></li>}
          </ul>
        </nav>
        <div class="header-tools">
          <LanguageSwitch />
          {who && (
            <button type="button" class="link-button" onClick={() => void signOut().then(() => navigate('/signin'))}>
              {t('nav.signout')}
            </button>
          )}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <View route={route} />
      </main>
      <footer class="site-footer">
        <p>{t('footer.tagline')}</p>
        <a href="/accessibility" onClick={internal('/accessibility')}>{t('footer.accessibility')}</a>
      </footer>
      {reauth && (
        <Dialog title={t('signin.again_title')} onClose={() => reauth(false)}>
          <p>{t('signin.again_text')}</p>
          <SignInForm onSignedIn={() => reauth(true)} />
        </Dialog>
      )}
    </>
  );
}

function View({ route }: { route: Route }) {
  const who = useStore(member);
  const arrivals = useStore(linkArrivals);
  switch (route.name) {
    case 'receive': return <ReceivePage key={`${route.transferId}/${arrivals}`} transferId={route.transferId} />;
    case 'deposit': return <DepositPage key={`${route.boxId}/${arrivals}`} boxId={route.boxId} />;
    case 'enroll': return <EnrollPage />;
    case 'accessibility': return <AccessibilityPage />;
    case 'signin': return <SignInPage />;
    case 'not_found': return <NotFoundPage />;
    default:
  }
  if (who === undefined) return <p role="status">{t('common.loading')}</p>;
  if (who === null) return <SignInPage />;
  if (route.name === 'transfers') return <DashboardPage />;
  if (route.name === 'boxes') return <BoxesPage />;
  if (route.name === 'inbox') return <InboxPage />;
  if (route.name === 'keys') return <KeysPage />;
  if (route.name === 'teams') return <TeamsPage />;
  return <SendPage />;
}

function LanguageSwitch() {
  const current = useLocale();
  const other: Locale = LOCALES.find((l) => l !== current) ?? 'en';
  return (
    <button type="button" class="link-button" lang={other} onClick={() => setLocale(other)}>
      {t('nav.language_switch')}
    </button>
  );
}

/** An onClick for internal links: navigates without a page load (a modified click opens a tab as usual). */
export function internal(path: string) {
  return (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(path);
  };
}
