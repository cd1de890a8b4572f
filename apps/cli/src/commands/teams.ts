// `valise team create|list|show|add|remove`: team mailboxes (docs/format.md §13.5). A team's keys are made here and
// sealed to each member's key; adding a member seals them to the newcomer, removing one re-keys the team and its
// drop boxes from this computer. Files are never re-encrypted.
import { addTeamMember, createTeamAsMember, isApiError, removeTeamMember } from '@valise/client';
import { fingerprintText, parseTeamRecord, teamFingerprint } from '@valise/crypto';
import type { TeamDetail, TeamSummary } from '@valise/protocol';
import { fileContactPins } from '../contact-pins.js';
import type { CliContext } from '../context.js';
import { type Credentials, requireCredentials } from '../credentials.js';
import { CliError, EXIT } from '../exit-codes.js';
import { pinnedOrgKey } from '../org-pin.js';
import { printable } from '../terminal-text.js';
import { resolveContactFailure, unlockAccount } from './keys.js';
import { formatTable } from './transfers.js';

const date = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/u, 'Z').replace('T', ' ');
const stateOf = (t: { certificate: string | null }): string => (t.certificate ? 'signed' : 'waiting for a signature');

/** A team of the member's, by id or by name (case-insensitive). */
export async function findMyTeam(ctx: CliContext, c: Credentials, team: string): Promise<TeamSummary> {
  const { teams } = await ctx.api(c.serverUrl, c.token).listTeams({ signal: ctx.signal });
  const wanted = team.trim().toLowerCase();
  const found = teams.find((t) => t.teamId === team.trim()) ?? teams.find((t) => t.name.toLowerCase() === wanted);
  if (!found) throw new CliError(EXIT.usage, `you are not a member of a team "${printable(team)}" (see \`valise team list\`)`);
  return found;
}

async function unlockCertified(ctx: CliContext, c: Credentials, why: string) {
  const account = await unlockAccount(ctx, c);
  account.uk.fill(0);
  if (!account.certified) throw new CliError(EXIT.usage, `your key is not signed by your organisation yet (see \`valise keys\`): ${why}`);
  return account.keys;
}

function membersTable(team: TeamDetail): string[] {
  return formatTable(['MEMBER', 'ADDED (UTC)'], team.members.map((m) => [m.email, date(m.addedAt)]));
}

export async function runTeamCreate(ctx: CliContext, cmd: { teamName: string }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const keys = await unlockCertified(ctx, c, 'a team needs it');
  let team: TeamDetail;
  try {
    team = await createTeamAsMember(ctx.api(c.serverUrl, c.token), keys, cmd.teamName);
  } catch (e) {
    if (isApiError(e, 'team_name_taken')) throw new CliError(EXIT.usage, `there is already a team named "${printable(cmd.teamName)}"`);
    throw e;
  }
  ctx.result({ teamId: team.teamId, name: team.name, certified: team.certificate !== null }, `Created the team "${printable(team.name)}" (${team.teamId}).`);
  if (!ctx.json) {
    ctx.note('An administrator must sign it (`valise admin sign-members`) before colleagues can send to it.');
    ctx.note(`Add members with \`valise team add "${team.name}" EMAIL\`.`);
  }
}

export async function runTeamList(ctx: CliContext): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const { teams } = await ctx.api(c.serverUrl, c.token).listTeams({ signal: ctx.signal });
  if (teams.length === 0 && !ctx.json) {
    ctx.note('You are in no team. Create one with `valise team create NAME`.');
    return;
  }
  ctx.result({ teams }, formatTable(['ID', 'NAME', 'STATE', 'MEMBERS', 'KEY EPOCH'], teams.map((t) => [
    t.teamId, printable(t.name), stateOf(t), String(t.memberCount), String(t.currentEpoch),
  ])));
}

export async function runTeamShow(ctx: CliContext, cmd: { team: string }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const found = await findMyTeam(ctx, c, cmd.team);
  const team = await ctx.api(c.serverUrl, c.token).getTeam(found.teamId, { signal: ctx.signal });
  const { mine: _mine, keys: _keys, ...shown } = team;
  // What the creator reads to the administrator who signs the team, by a channel the server does not control.
  const fingerprint = fingerprintText(await teamFingerprint(parseTeamRecord(team.record)));
  ctx.result({ ...shown, fingerprint }, [
    `${printable(team.name)} (${team.teamId}): ${stateOf(team)}, key epoch ${team.currentEpoch}.`,
    `Fingerprint: ${fingerprint}`,
    '',
    ...membersTable(team),
    ...(team.boxes.length ? ['', `Drop boxes: ${team.boxes.map((b) => `"${printable(b.name)}" (${b.boxId})`).join(', ')}`] : []),
  ]);
}

export async function runTeamAdd(ctx: CliContext, cmd: { team: string; email: string; acceptNewKey: boolean }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const found = await findMyTeam(ctx, c, cmd.team);
  const api = ctx.api(c.serverUrl, c.token);
  const orgKey = await pinnedOrgKey(ctx, c, api);
  const keys = await unlockCertified(ctx, c, 'adding a member needs it');
  let team: TeamDetail;
  try {
    team = await addTeamMember(api, keys, orgKey, fileContactPins(ctx.config.configDir, c.serverUrl), found.teamId, cmd.email, { acceptChange: cmd.acceptNewKey });
  } catch (e) {
    if (isApiError(e, 'member_key_unavailable')) throw new CliError(EXIT.usage, `${cmd.email} has no key signed by your organisation yet: they run \`valise keys init\`, then an administrator signs it`);
    throw resolveContactFailure(e, cmd.email, `valise team add "${found.name}" ${cmd.email} --accept-new-key`);
  }
  ctx.result({ teamId: team.teamId, members: team.members }, `${cmd.email} is now a member of "${printable(team.name)}": they can open everything the team holds.`);
}

export async function runTeamRemove(ctx: CliContext, cmd: { team: string; email: string; acceptNewKey: boolean }): Promise<void> {
  const c = await requireCredentials(ctx.config.configDir);
  const found = await findMyTeam(ctx, c, cmd.team);
  const api = ctx.api(c.serverUrl, c.token);
  const detail = await api.getTeam(found.teamId, { signal: ctx.signal });
  const leaving = detail.members.find((m) => m.email.toLowerCase() === cmd.email.trim().toLowerCase());
  if (!leaving) throw new CliError(EXIT.usage, `${cmd.email} is not a member of "${printable(found.name)}"`);
  if (detail.members.length === 1) throw new CliError(EXIT.usage, 'a team keeps at least one member');
  const orgKey = await pinnedOrgKey(ctx, c, api);
  const keys = await unlockCertified(ctx, c, 'removing a member needs it');
  if (!ctx.json) ctx.note(`Making new team keys for the ${detail.members.length - 1} remaining member${detail.members.length === 2 ? '' : 's'} and ${detail.boxes.length} drop box${detail.boxes.length === 1 ? '' : 'es'}…`);
  let result;
  try {
    result = await removeTeamMember(api, keys, orgKey, fileContactPins(ctx.config.configDir, c.serverUrl), found.teamId, leaving.memberId, { acceptChange: cmd.acceptNewKey });
  } catch (e) {
    if (isApiError(e, 'team_key_changed') || isApiError(e, 'team_rekey_incomplete')) {
      throw new CliError(EXIT.usage, 'the team changed while its keys were being renewed (someone added or removed a member): run the command again');
    }
    throw resolveContactFailure(e, 'a member', `valise team remove "${found.name}" ${cmd.email} --accept-new-key`);
  }
  ctx.result({ teamId: result.teamId, removed: leaving.email, currentEpoch: result.currentEpoch }, [
    `${leaving.email} is no longer a member of "${printable(found.name)}" (team key epoch ${result.currentEpoch}).`,
    'What is sent or deposited from now on is sealed to keys they never held. What they could open before, they may have kept.',
  ]);
}
