// Who receives a transfer in their Valise inbox (no link): the recipients who are members with keys certified by
// the organisation — checked here against the pinned organisation key and each contact's pinned key, as the CLI's
// send does — provided the sender's own key is certified. Everyone else gets the link.
import { MemberKeyError, isApiError, resolveContact, resolveTeamKey } from '@valise/client';
import { type CertifiedMemberKey, type VerifiedTeamKey, isCryptoError } from '@valise/crypto';
import { api } from '../api.js';
import { contactPins, currentMe, pinnedOrgKey } from './trust.js';

export interface DeliveryPlan {
  /** The recipients' certified keys (member slots); empty: a link for everyone. */
  readonly members: CertifiedMemberKey[];
  /** The teams' current keys (team slots): certified, signed by the team, never older than one seen; with their names. */
  readonly teams: Array<{ key: VerifiedTeamKey; name: string }>;
  /** Why nobody gets inbox delivery although the sender may expect it. */
  readonly why: 'no_keys' | 'not_certified' | 'no_org_key' | null;
}

/** A recipient's key the organisation did not sign for them: nothing is sent. */
export class ContactKeyRefused extends Error {
  override readonly name = 'ContactKeyRefused';
  constructor(readonly email: string, options: { cause: unknown }) {
    super(`the key the server gave for ${email} is not signed for them by the organisation`, options);
  }
}

/** A team the sender named, and why it cannot receive: no such certified team, or a key not the team's (or older). */
export class TeamRefused extends Error {
  override readonly name = 'TeamRefused';
  constructor(readonly team: string, readonly why: 'unavailable' | 'key_refused' | 'sender_keys', options?: { cause: unknown }) {
    super(`the team "${team}" cannot receive this transfer (${why})`, options);
  }
}

/**
 * Each named team's current key (docs/format.md §13.5): certified by the pinned organisation key, signed by the team,
 * not older than an epoch this browser has seen for it (pinned per signed-in member, like colleagues' keys).
 */
async function resolveTeams(names: readonly string[], orgKey: Uint8Array, accepted: ReadonlySet<string>): Promise<DeliveryPlan['teams']> {
  const pins = contactPins(currentMe());
  const teams: Array<{ key: VerifiedTeamKey; name: string }> = [];
  for (const name of names) {
    try {
      const { team, ...key } = await resolveTeamKey(api, orgKey, pins, { name }, { acceptChange: accepted.has(name.trim().toLowerCase()) });
      if (!teams.some((t) => t.key.record.teamId === key.record.teamId)) teams.push({ key, name: team.record.name });
    } catch (e) {
      if (isApiError(e, 'team_unavailable')) throw new TeamRefused(name, 'unavailable', { cause: e });
      if (isCryptoError(e, 'signature_invalid') || isCryptoError(e, 'record_invalid') || (e instanceof MemberKeyError && e.code === 'not_yours')) {
        throw new TeamRefused(name, 'key_refused', { cause: e });
      }
      throw e;
    }
  }
  return teams;
}

/**
 * Resolves every recipient and every team. Throws MemberKeyError 'key_changed' for a colleague whose key changed since it was
 * pinned (unless in `accepted`), ContactKeyRefused for a key not certified for that person, and OrgKeyChangedError.
 */
export async function planDelivery(recipients: readonly string[], accepted: ReadonlySet<string>, teamNames: readonly string[] = []): Promise<DeliveryPlan> {
  // Sending to a team needs the sender's certified keys: without them nothing is sent (a team has no link).
  const none = (why: NonNullable<DeliveryPlan['why']>): DeliveryPlan => {
    if (teamNames.length > 0) throw new TeamRefused(teamNames[0]!, 'sender_keys');
    return { members: [], teams: [], why };
  };
  let mine;
  try {
    mine = await api.getMyKeys();
  } catch (e) {
    if (isApiError(e, 'member_keys_missing')) return none('no_keys');
    throw e;
  }
  const orgKey = await pinnedOrgKey();
  if (orgKey === null) return none('no_org_key');
  if (mine.certificate === null) return none('not_certified');
  const teams = await resolveTeams(teamNames, orgKey, accepted);
  const me = currentMe();
  const pins = contactPins(me);
  const members: CertifiedMemberKey[] = [];
  for (const email of recipients) {
    try {
      members.push((await resolveContact(api, orgKey, pins, { email }, { acceptChange: accepted.has(email) })).key);
    } catch (e) {
      if (isApiError(e, 'member_key_unavailable')) continue; // not a member with certified keys: the link
      const code = (e as { code?: string }).code;
      if (code === 'signature_invalid' || code === 'record_invalid') throw new ContactKeyRefused(email, { cause: e });
      throw e;
    }
  }
  return { members, teams, why: null };
}
