// Team mailboxes on a member's client (docs/format.md §13.5): create a team, find a team's key to send to (certified
// by the pinned organisation key, signed by the team, never an older epoch than one seen), open the team keys from
// this member's sealed copy, add a member (seal the keys to them), remove one (new epoch for the team and for each of
// its boxes, sealed to every remaining member). The server stores sealed copies and signed records; it opens nothing.
import {
  type CertifiedMemberKey, type CertifiedTeam, type TeamKeyRecord, type TeamKeys, type UnlockedMemberKeys, type VerifiedTeamKey,
  addBoxEpoch, addTeamEpoch, checkCertifiedTeam, createTeam, fromBase64Url, openBoxKeys, openTeamKeys, parseBoxKeyRecord,
  parseTeamKeyRecord, parseTeamRecord, sealBoxKeysForOwner, sealTeamKeysForMember, serializeBoxKeyRecord, serializeTeamKeyRecord,
  serializeTeamRecord, teamFingerprint, toBase64Url, verifyTeamKey,
} from '@valise/crypto';
import type { PublicTeamKey, TeamBoxRekey, TeamDetail, TeamRekeyed } from '@valise/protocol';
import type { ValiseApi } from './api-client.js';
import { type ContactPins, type MemberKeysApi, MemberKeyError, resolveContact } from './member-keys.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Makes a team here (its signing key, epoch-1 key), seals its keys to the creator, and registers it. */
export async function createTeamAsMember(api: ValiseApi, me: UnlockedMemberKeys, name: string): Promise<TeamDetail> {
  const made = await createTeam(name);
  try {
    const bundle = await sealTeamKeysForMember({ record: me.record, fingerprint: me.fingerprint }, made.record.teamId, made.bundle);
    return await api.createTeam({
      record: text(serializeTeamRecord(made.record)),
      key: { record: text(serializeTeamKeyRecord(made.key.record)), signature: toBase64Url(made.key.signature) },
      bundle: toBase64Url(bundle),
    });
  } finally {
    made.bundle.fill(0);
  }
}

// A team's pin: its record's fingerprint (the team's identity, which never changes) and the newest epoch seen.
const pinName = (teamId: string): string => `team:${teamId}`;
const pinValue = (fingerprint: Uint8Array, epoch: number): string => `${toBase64Url(fingerprint)}@${epoch}`;

async function checkTeamPin(pins: ContactPins, team: CertifiedTeam, epoch: number, acceptChange: boolean): Promise<number> {
  const pinned = await pins.get(pinName(team.record.teamId));
  const [fingerprint, seen] = pinned?.split('@') ?? [];
  if (pinned !== undefined && fingerprint !== toBase64Url(team.fingerprint) && !acceptChange) {
    throw new MemberKeyError('key_changed', `the team "${team.record.name}" is not the one you sent to before`, {
      memberId: team.record.teamId, email: team.record.name, pinned: fingerprint ?? '', served: toBase64Url(team.fingerprint),
    });
  }
  const minEpoch = fingerprint === toBase64Url(team.fingerprint) ? Number(seen) || 1 : 1;
  if (epoch >= minEpoch) await pins.set(pinName(team.record.teamId), pinValue(team.fingerprint, epoch));
  return minEpoch;
}

/** A team's current key that a sender may seal to: certified, signed by the team, not older than one seen. */
export async function resolveTeamKey(
  api: ValiseApi, orgPublicKey: Uint8Array | null, pins: ContactPins, who: { name: string } | { teamId: string },
  options: { acceptChange?: boolean } = {},
): Promise<VerifiedTeamKey & { readonly team: CertifiedTeam }> {
  if (!orgPublicKey) throw new MemberKeyError('no_org_key', 'this server has no organisation key: team keys cannot be checked');
  const served: PublicTeamKey = 'name' in who ? await api.getTeamKeyByName(who.name) : await api.getTeamKeyById(who.teamId);
  const record = parseTeamRecord(served.record);
  if ('name' in who && record.name.toLowerCase() !== who.name.trim().toLowerCase()) throw new MemberKeyError('not_yours', 'the server answered with another team');
  const team = await checkCertifiedTeam(orgPublicKey, record, fromBase64Url(served.certificate), 'teamId' in who ? who.teamId : served.teamId);
  const keyRecord = parseTeamKeyRecord(served.key.record);
  const minEpoch = await checkTeamPin(pins, team, keyRecord.epoch, options.acceptChange ?? false);
  const key = await verifyTeamKey(team, keyRecord, fromBase64Url(served.key.signature), { minEpoch });
  return { ...key, team };
}

/** This member's team keys, opened from their own sealed copy; the team's certificate is checked when it has one. */
export interface OpenedTeam {
  readonly detail: TeamDetail;
  readonly keys: TeamKeys;
  readonly certified: boolean;
}

export async function openMyTeam(api: ValiseApi, me: UnlockedMemberKeys, orgPublicKey: Uint8Array | null, teamId: string): Promise<OpenedTeam> {
  const detail = await api.getTeam(teamId);
  const record = parseTeamRecord(detail.record);
  if (record.teamId !== teamId) throw new MemberKeyError('not_yours', 'the server answered with another team');
  const certified = orgPublicKey !== null && detail.certificate !== null;
  const team: CertifiedTeam = certified
    ? await checkCertifiedTeam(orgPublicKey!, record, fromBase64Url(detail.certificate!), teamId)
    : { record, fingerprint: await teamFingerprint(record) };
  if (detail.mine.fingerprint !== toBase64Url(me.fingerprint)) throw new MemberKeyError('not_yours', 'your copy of the team keys is sealed to another key of yours');
  const records = new Map<number, { record: TeamKeyRecord; signature: Uint8Array }>(detail.keys.map((k) => {
    const r = parseTeamKeyRecord(k.record);
    return [r.epoch, { record: r, signature: fromBase64Url(k.signature) }];
  }));
  const keys = await openTeamKeys(me, team, fromBase64Url(detail.mine.bundle), records);
  return { detail, keys, certified };
}

/** Adds a member (certified key, checked and pinned): the team keys sealed to them. Returns the team as it now is. */
export async function addTeamMember(
  api: ValiseApi & MemberKeysApi, me: UnlockedMemberKeys, orgPublicKey: Uint8Array | null, pins: ContactPins, teamId: string, email: string,
  options: { acceptChange?: boolean } = {},
): Promise<TeamDetail> {
  const newcomer = (await resolveContact(api, orgPublicKey, pins, { email }, options)).key;
  const { keys } = await openMyTeam(api, me, orgPublicKey, teamId);
  try {
    const bundle = await sealTeamKeysForMember(newcomer, teamId, keys.bundle);
    return await api.addTeamMember(teamId, { memberId: newcomer.record.memberId, copy: { epoch: keys.current.record.epoch, bundle: toBase64Url(bundle) } });
  } finally {
    keys.bundle.fill(0);
  }
}

/**
 * Removes a member (or this member leaves): a new team epoch sealed to every remaining member (each key certified
 * and pinned), and a new epoch for every box the team owns, sealed to the new team key. Nothing is re-encrypted;
 * deposits and transfers from now on use keys the removed member never held.
 */
export async function removeTeamMember(
  api: ValiseApi & MemberKeysApi, me: UnlockedMemberKeys, orgPublicKey: Uint8Array | null, pins: ContactPins, teamId: string, memberId: string,
  options: { acceptChange?: boolean } = {},
): Promise<TeamRekeyed> {
  const { detail, keys } = await openMyTeam(api, me, orgPublicKey, teamId);
  const next = await addTeamEpoch(keys);
  const wipe: Uint8Array[] = [keys.bundle, next.bundle];
  try {
    const copies = [];
    for (const member of detail.members.filter((m) => m.memberId !== memberId)) {
      const key: CertifiedMemberKey = member.memberId === me.record.memberId
        ? { record: me.record, fingerprint: me.fingerprint }
        : (await resolveContact(api, orgPublicKey, pins, { memberId: member.memberId }, options)).key;
      copies.push({ memberId: member.memberId, bundle: toBase64Url(await sealTeamKeysForMember(key, teamId, next.bundle)) });
    }
    const boxes: TeamBoxRekey[] = [];
    for (const { boxId } of detail.boxes) {
      const served = await api.boxKeys(boxId);
      if (!served.ownerTeam || served.ownerTeam.teamId !== teamId) throw new MemberKeyError('not_yours', 'a box of the team is not served as the team\'s');
      const holder = keys.epochs.get(served.ownerTeam.epoch)?.holder;
      if (!holder) throw new MemberKeyError('no_such_method', `the team keys hold no epoch ${served.ownerTeam.epoch}`);
      const identity = { sig: served.identity.sig, publicKey: fromBase64Url(served.identity.publicKey) };
      const records = new Map(served.keys.map((k) => {
        const record = parseBoxKeyRecord(k.record);
        return [record.epoch, { record, signature: fromBase64Url(k.signature) }] as const;
      }));
      const boxKeys = await openBoxKeys(holder, boxId, fromBase64Url(served.ownerTeam.sealed), identity, records);
      const epoch = await addBoxEpoch(boxKeys);
      wipe.push(boxKeys.bundle, epoch.bundle);
      boxes.push({
        boxId,
        key: { record: text(serializeBoxKeyRecord(epoch.record)), signature: toBase64Url(epoch.signature) },
        sealed: toBase64Url(await sealBoxKeysForOwner(next.verified, boxId, epoch.bundle)),
      });
    }
    return await api.removeTeamMember(teamId, memberId, {
      key: { record: text(serializeTeamKeyRecord(next.key.record)), signature: toBase64Url(next.key.signature) },
      copies,
      boxes,
    });
  } finally {
    for (const b of wipe) b.fill(0);
  }
}
