// Client-side routes: the server answers the same page for each of these paths, and this module picks the view.
// The link page keeps its secret in the fragment (#…), which never reaches the server.
import { createStore } from './store.js';

export type Route =
  | { name: 'home' }
  | { name: 'signin' }
  | { name: 'enroll' }
  | { name: 'send' }
  | { name: 'transfers' }
  | { name: 'keys' }
  | { name: 'inbox' }
  | { name: 'receive'; transferId: string }
  | { name: 'deposit'; boxId: string }
  | { name: 'boxes' }
  | { name: 'teams' }
  | { name: 'accessibility' }
  | { name: 'not_found' };

const TRANSFER_ID = /^\/t\/([A-Za-z0-9_-]{22})\/?$/u;
const BOX_ID = /^\/d\/([A-Za-z0-9_-]{22})\/?$/u;

export function parseRoute(pathname: string): Route {
  const transfer = TRANSFER_ID.exec(pathname);
  if (transfer) return { name: 'receive', transferId: transfer[1]! };
  const box = BOX_ID.exec(pathname);
  if (box) return { name: 'deposit', boxId: box[1]! };
  switch (pathname.replace(/\/+$/u, '') || '/') {
    case '/': return { name: 'home' };
    case '/signin': return { name: 'signin' };
    case '/enroll': return { name: 'enroll' };
    case '/send': return { name: 'send' };
    case '/transfers': return { name: 'transfers' };
    case '/keys': return { name: 'keys' };
    case '/inbox': return { name: 'inbox' };
    case '/boxes': return { name: 'boxes' };
    case '/teams': return { name: 'teams' };
    case '/accessibility': return { name: 'accessibility' };
    default: return { name: 'not_found' };
  }
}

export const currentRoute = createStore<Route>(parseRoute(location.pathname));

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  currentRoute.set(parseRoute(location.pathname));
}

addEventListener('popstate', () => currentRoute.set(parseRoute(location.pathname)));

/**
 * Counts the times a secret arrives in the address bar of a page already open (a link opened again in the same
 * tab only changes the fragment: no new page load). The link page starts over with the new secret.
 */
export const linkArrivals = createStore(0);

addEventListener('hashchange', () => {
  if (location.hash.length > 1 && (currentRoute.get().name === 'receive' || currentRoute.get().name === 'deposit')) linkArrivals.set(linkArrivals.get() + 1);
});
