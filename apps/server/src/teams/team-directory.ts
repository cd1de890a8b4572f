// What other domains ask about teams: who belongs to one, which teams a transfer may be sent to (certified under the
// configured organisation key), and each team's current key. Read-only; teams.service.ts makes every change.
import { type TeamRecord, checkCertifiedTeam, orgPublicKeyFromText, parseTeamRecord } from '@valise/crypto';
import type { DatabaseHandle } from '../db/database.js';
import type { Executor } from '../transfers/transfer.repository.js';
import { TeamRepository, type TeamKeyRow, type TeamRow } from './teams.repository.js';

/** A team senders may seal to: certified, with its current key. */
export interface SealableTeam {
  readonly team: TeamRow;
  readonly record: TeamRecord;
  readonly key: TeamKeyRow;
}

export class TeamDirectory {
  readonly #teams: TeamRepository;
  readonly #orgKey: Uint8Array | null;

  constructor(deps: { readonly handle: DatabaseHandle; readonly orgPublicKey: string | null }) {
    this.#teams = new TeamRepository(deps.handle);
    this.#orgKey = deps.orgPublicKey === null ? null : orgPublicKeyFromText(deps.orgPublicKey);
  }

  get repository(): TeamRepository {
    return this.#teams;
  }

  async isMember(teamId: string, userId: string, db?: Executor): Promise<boolean> {
    return (await this.#teams.member(teamId, userId, db)) !== undefined;
  }

  /** The team, if `userId` is one of its members; undefined otherwise (a removed member included). */
  async teamOf(teamId: string, userId: string, db?: Executor): Promise<TeamRow | undefined> {
    return (await this.isMember(teamId, userId, db)) ? this.#teams.find(teamId, db) : undefined;
  }

  /** The current members' addresses (for notices). */
  async memberEmails(teamId: string, db?: Executor): Promise<string[]> {
    return (await this.#teams.members(teamId, db)).map((m) => m.email);
  }

  async memberCount(teamId: string): Promise<number> {
    return this.#teams.memberCount(teamId);
  }

  /** Whether the stored certificate verifies with the organisation key configured now. */
  async certified(team: TeamRow): Promise<TeamRecord | null> {
    if (this.#orgKey === null || team.certificate === null) return null;
    try {
      const record = parseTeamRecord(team.record);
      await checkCertifiedTeam(this.#orgKey, record, new Uint8Array(team.certificate), team.id);
      return record;
    } catch {
      return null;
    }
  }

  /** The team with its current key, if certified; otherwise why not (for logs: callers answer alike for every cause). */
  async sealable(teamId: string, db?: Executor): Promise<SealableTeam | string> {
    const team = await this.#teams.find(teamId, db);
    if (!team) return `no team ${teamId}`;
    const record = await this.certified(team);
    if (record === null) return `team ${teamId} is not certified by the configured organisation key`;
    const key = await this.#teams.key(teamId, team.current_epoch, db);
    if (!key) throw new Error(`team ${teamId} has no key of its epoch ${team.current_epoch}`);
    return { team, record, key };
  }
}
