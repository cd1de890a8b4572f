// Members with keys made by the client engine under a known passphrase, certified by a test organisation through an
// administrator's API: how the member-key, drop-box and team tests in the browser start.
import { type UnlockedAccount, type ValiseApi, createMemberKeys, unlockMemberKeys } from '@valise/client';
import { certifyMemberKey, memberKeyFingerprint, toBase64Url } from '@valise/crypto';
import type { TestOrg } from '@valise/crypto/testing';
import type { WebMember, WebServer } from './kit.js';

export const passphraseOf = (email: string): string => `${email} key passphrase`;

/** Contact pins kept in memory: a client engine run in Node, for one test, remembers keys as a browser would. */
export function memoryPins() {
  const pins = new Map<string, string>();
  return { get: async (k: string) => pins.get(k), set: async (k: string, v: string) => void pins.set(k, v) };
}

export interface KeyedMember {
  readonly member: WebMember;
  readonly memberId: string;
  readonly api: ValiseApi;
  /** Unlocked with passphraseOf(email); certified (checked against the organisation key). */
  readonly account: UnlockedAccount;
}

export interface KeyedMembers {
  /** A new member with certified keys. */
  next(): Promise<KeyedMember>;
  /** The administrator who certified them (made on first use), for teams to certify too. */
  admin(): Promise<ValiseApi>;
}

/** `server`: the suite's server, asked for when a member is made (it starts once the suite's hooks run). */
export function keyedMembers(server: () => WebServer, org: TestOrg): KeyedMembers {
  let admin: Promise<ValiseApi> | undefined;
  const adminApi = () => (admin ??= server().member(undefined, { admin: true }).then((a) => server().apiFor(a)));
  return {
    admin: adminApi,
    async next() {
      const web = server();
      const member = await web.member();
      const api = await web.apiFor(member);
      const who = await api.me();
      const me = { memberId: who.id, email: who.email };
      const { keys } = await createMemberKeys(api, me, passphraseOf(member.email));
      await (await adminApi()).certifyMemberKey(who.id, {
        fingerprint: toBase64Url(await memberKeyFingerprint(keys.record)), certificate: toBase64Url(await certifyMemberKey(org.key, keys.record)),
      });
      const account = await unlockMemberKeys(api, me, { kind: 'passphrase', passphrase: passphraseOf(member.email) }, org.publicKey);
      if (!account.certified) throw new Error('the organisation\'s certificate did not verify');
      return { member, memberId: who.id, api, account };
    },
  };
}
