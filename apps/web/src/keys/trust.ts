// What this browser trusts, kept in its IndexedDB (this origin only): the organisation key the first time this
// server presented one, and for each colleague the key fingerprint first seen. A different organisation key is
// refused outright; a colleague's different (but organisation-signed) key is a loud warning until accepted.
import { type ContactPins, type Me, MemberKeyError } from '@valise/client';
import { orgPublicKeyFromText } from '@valise/crypto';
import { createStore, get, set } from 'idb-keyval';
import { api } from '../api.js';
import { member } from '../session.js';

const db = createStore('valise-trust', 'pins');
const ORG_KEY = 'org-key';

/** The server presents another organisation key than the one this browser trusts: nothing is sent or opened. */
export class OrgKeyChangedError extends Error {
  override readonly name = 'OrgKeyChangedError';
  constructor(readonly pinned: string, readonly served: string | null) {
    super('the server presents another organisation key than the one this browser trusts');
  }
}

/** The pinned organisation public key (pinned now if the server has one and none was), or null while it has none. */
export async function pinnedOrgKey(): Promise<Uint8Array | null> {
  const { publicKey } = await api.getOrgKey();
  const pinned: unknown = await get(ORG_KEY, db).catch(() => undefined);
  if (typeof pinned === 'string') {
    if (publicKey !== pinned) throw new OrgKeyChangedError(pinned, publicKey);
    return orgPublicKeyFromText(pinned);
  }
  if (publicKey === null) return null;
  const key = orgPublicKeyFromText(publicKey);
  await set(ORG_KEY, publicKey, db).catch(() => undefined);
  return key;
}

/** The colleagues' fingerprints this member's browser first trusted (per signed-in member: a shared computer). */
export function contactPins(me: Me): ContactPins {
  const key = (memberId: string) => `contact/${me.memberId}/${memberId}`;
  return {
    async get(memberId) {
      const value: unknown = await get(key(memberId), db).catch(() => undefined);
      return typeof value === 'string' ? value : undefined;
    },
    async set(memberId, fingerprint) {
      await set(key(memberId), fingerprint, db);
    },
  };
}

/** The signed-in member, as the client engine names them. */
export function currentMe(): Me {
  const who = member.get();
  if (!who) throw new MemberKeyError('not_yours', 'nobody is signed in');
  return { memberId: who.id, email: who.email };
}
