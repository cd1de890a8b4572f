// Who is signed in, and what happens when the session ends mid-task: `withSession` runs an API call, and if the
// server says the session is over, asks the person to sign in again (a dialog over the page, so the form being
// filled is kept), then runs the call once more.
import { isApiError } from '@valise/client';
import type { Member } from '@valise/protocol';
import { api } from './api.js';
import { createStore } from './store.js';

/** undefined while unknown (first load), null when signed out. */
export const member = createStore<Member | null | undefined>(undefined);

/** Set while the sign-in dialog is needed: resolve(true) after a sign-in, resolve(false) when dismissed. */
export const reauthentication = createStore<((signedIn: boolean) => void) | null>(null);

export async function loadMember(): Promise<void> {
  try {
    member.set(await api.me());
  } catch (e) {
    if (isApiError(e, 'unauthenticated')) member.set(null);
    else throw e;
  }
}

export async function signIn(email: string, password: string, totpCode: string): Promise<void> {
  await api.login({ email, password, totpCode, client: 'web' });
  member.set(await api.me());
}

export async function signOut(): Promise<void> {
  try {
    await api.logout();
  } finally {
    member.set(null);
  }
}

/** Shows the sign-in dialog; true once the person signed in again, false if they closed it. */
export async function askToSignInAgain(): Promise<boolean> {
  const signedIn = await new Promise<boolean>((resolve) => reauthentication.set(resolve));
  reauthentication.set(null);
  return signedIn;
}

export async function withSession<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (!isApiError(e, 'unauthenticated') || !(await askToSignInAgain())) throw e;
    return call();
  }
}
