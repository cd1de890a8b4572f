// The member inbox: what was sent to a member's key (member slots) or to a team they belong to now (team slots, and
// deposits into the team's boxes), listed, and opened without any link. Opening passes the same checks as the gate and
// issues the same kind of grant, so the download routes serve it unchanged.
import { plaintextSizeOf } from '@valise/crypto';
import type { CloseReason, DepositOpenResponse, InboxList, MemberOpenResponse, TeamOpenResponse } from '@valise/protocol';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { GrantIssuer, type GrantPlan, type IssueOptions } from '../gate/grant-issuer.js';
import { GrantRepository } from '../gate/grant.repository.js';
import { releaseDeposit, releaseToMember, releaseToTeam } from '../gate/release.js';
import { AppError } from '../http/errors.js';
import type { Keystore } from '../keystore.js';
import { BoxRepository } from '../boxes/boxes.repository.js';
import { TransferRepository } from '../transfers/transfer.repository.js';
import { InboxRepository } from './inbox.repository.js';

export interface InboxDeps {
  readonly handle: DatabaseHandle;
  readonly keystore: Keystore;
  readonly clock: Clock;
}

/** The signed-in member. */
export interface InboxMember {
  readonly id: string;
  readonly email: string;
}

const CLOSE_REASONS: readonly string[] = ['expired', 'exhausted', 'revoked', 'abandoned', 'downloaded'];

export class InboxService {
  readonly #deps: InboxDeps;
  readonly #inbox: InboxRepository;
  readonly #transfers: TransferRepository;
  readonly #grants: GrantRepository;
  readonly #issuer: GrantIssuer;
  readonly #boxes: BoxRepository;

  constructor(deps: InboxDeps) {
    this.#boxes = new BoxRepository(deps.handle);
    this.#deps = deps;
    this.#inbox = new InboxRepository(deps.handle);
    this.#transfers = new TransferRepository(deps.handle);
    this.#grants = new GrantRepository(deps.handle);
    this.#issuer = new GrantIssuer(deps);
  }

  /**
   * GET /inbox: transfers from members (kind 'transfer') and deposits into the member's drop boxes (kind 'deposit'),
   * newest first; sizes as the sender's list gives them (the files' own sizes, from ciphertext sizes).
   */
  async list(member: InboxMember): Promise<InboxList> {
    const rows = await this.#inbox.list(member.id);
    const sizes = await this.#transfers.fileSizes(rows.map((r) => r.transferId));
    return {
      transfers: rows.map((r) => ({
        transferId: r.transferId,
        kind: r.kind,
        sender: r.sender,
        deposit: r.deposit,
        state: r.state,
        closeReason: r.closeReason !== null && CLOSE_REASONS.includes(r.closeReason) ? (r.closeReason as CloseReason) : null,
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
        fileCount: sizes.get(r.transferId)?.length ?? 0,
        contentBytes: (sizes.get(r.transferId) ?? []).reduce((sum, size) => sum + plaintextSizeOf(size), 0),
        downloadedAt: r.downloadedAt,
        team: r.team,
      })),
    };
  }

  /**
   * POST /inbox/:transferId/open. Only a member with a slot in the transfer gets anything (anyone else: the 404 of an
   * unknown id); the transfer must be available as at the gate (410 with the reason otherwise). A recipient's first
   * open consumes one download; opening again while holding a live grant replaces that grant and consumes nothing
   * (an interrupted download resumes); the sender's own self slot never consumes.
   */
  async open(member: InboxMember, transferId: string, caller: { readonly ip: string | null }): Promise<MemberOpenResponse> {
    const { keystore } = this.#deps;
    const slot = await this.#inbox.slotOf(transferId, member.id);
    if (!slot) {
      // An owner's deposit has no member slot: say where it opens (anyone else: the plain 404 of an unknown id).
      if (await this.#inbox.ownedDeposit(transferId, member.id) ?? await this.#inbox.teamDeposit(transferId, member.id)) {
        throw new AppError('not_found', { detail: `This is a deposit into one of your drop boxes: open it with POST /api/v1/inbox/${transferId}/open-deposit.` });
      }
      if (await this.#inbox.teamSlotOf(transferId, member.id)) {
        throw new AppError('not_found', { detail: `This was sent to one of your teams: open it with POST /api/v1/inbox/${transferId}/open-team.` });
      }
      throw new AppError('not_found');
    }
    const transfer = await this.#transfers.findById(transferId);
    if (!transfer || transfer.sender_id === null) throw new AppError('not_found');
    const senderEmail = await this.#transfers.senderEmail(transfer.sender_id);
    if (senderEmail === undefined) throw new AppError('not_found');
    const sender = { memberId: transfer.sender_id, email: senderEmail };
    return this.#issue(member, transferId, slot.recipient_id === null ? 'self' : { recipientId: slot.recipient_id }, caller,
      (row, files, grantExpiresAt) => releaseToMember(keystore, row, files, grantExpiresAt, slot, sender));
  }

  /**
   * POST /inbox/:transferId/open-team: a current member of a team the transfer was sent to gets the team slot, SS, the
   * manifest with its signature and a grant; anyone else (a removed member included) the 404 of an unknown id. The
   * same rules as open(): a first open consumes one download, a reopen while a grant lives does not.
   */
  async openTeam(member: InboxMember, transferId: string, caller: { readonly ip: string | null }): Promise<TeamOpenResponse> {
    const slot = await this.#inbox.teamSlotOf(transferId, member.id);
    if (!slot) throw new AppError('not_found');
    const transfer = await this.#transfers.findById(transferId);
    if (!transfer || transfer.sender_id === null) throw new AppError('not_found');
    const senderEmail = await this.#transfers.senderEmail(transfer.sender_id);
    if (senderEmail === undefined) throw new AppError('not_found');
    const sender = { memberId: transfer.sender_id, email: senderEmail };
    const { keystore } = this.#deps;
    return this.#issue(member, transferId, { teamId: slot.teamId }, caller, (row, files, grantExpiresAt) => releaseToTeam(keystore, row, files, grantExpiresAt, slot, sender));
  }

  /**
   * POST /inbox/:transferId/open-deposit: an owner of the deposit's drop box (and one of its recipients, which the
   * box's owners are when the deposit is made) gets the box slot, SS, the manifest and a grant; anyone else the 404
   * of an unknown id. The same rules as open(): available (410 otherwise), a first open consumes one download for
   * this owner's recipient row, a reopen while a grant lives consumes nothing.
   */
  async openDeposit(member: InboxMember, transferId: string, caller: { readonly ip: string | null }): Promise<DepositOpenResponse> {
    const { keystore } = this.#deps;
    const deposit = await this.#inbox.ownedDeposit(transferId, member.id);
    if (deposit) {
      return this.#issue(member, transferId, { recipientId: deposit.recipientId }, caller, (row, files, grantExpiresAt) => releaseDeposit(keystore, row, files, grantExpiresAt));
    }
    // A box a team owns: its current members open deposits with the box keys sealed to the team key.
    const viaTeam = await this.#inbox.teamDeposit(transferId, member.id);
    if (!viaTeam) throw new AppError('not_found');
    const keys = await this.#boxes.teamOwnerKey(viaTeam.boxId, viaTeam.teamId);
    if (!keys || keys.team_epoch === null) throw new AppError('not_found');
    const ownerTeam = {
      teamId: viaTeam.teamId, name: viaTeam.teamName,
      keys: { teamId: viaTeam.teamId, epoch: keys.team_epoch, fingerprint: Buffer.from(keys.fingerprint).toString('base64url'), sealed: Buffer.from(keys.sealed).toString('base64url') },
    };
    return this.#issue(member, transferId, { teamId: viaTeam.teamId }, caller, (row, files, grantExpiresAt) => releaseDeposit(keystore, row, files, grantExpiresAt, ownerTeam));
  }

  /**
   * A grant for a member opening from the inbox: as a recipient (their row), through a team (the team counts as one
   * recipient: whichever member completes first marks it), both consuming a download on a first open; or through the
   * sender's self slot (never consumes).
   */
  #issue<R extends object>(
    member: InboxMember,
    transferId: string,
    via: { readonly recipientId: string } | { readonly teamId: string } | 'self',
    caller: { readonly ip: string | null },
    release: IssueOptions<R>['release'],
  ): Promise<R & { grantToken: string }> {
    const now = this.#deps.clock.now();
    const recipientId = typeof via === 'object' && 'recipientId' in via ? via.recipientId : null;
    const teamId = typeof via === 'object' && 'teamId' in via ? via.teamId : null;
    return this.#issuer.issueWith(
      transferId,
      { recipientId, teamId, userId: member.id, via: 'member', ip: caller.ip },
      {
        // Two opens by one member at once must not both find "no live grant" and both consume.
        lock: `inbox-open:${transferId}:${member.id}`,
        plan: async (trx): Promise<GrantPlan> => {
          const live = await this.#grants.liveOf(trx, transferId, member.id, now);
          if (live.length > 0) {
            return { consume: false, replaces: live.map((g) => g.id), needsDownloadLeft: false, event: { kind: 'resumed', detail: 'member' } };
          }
          if (via === 'self') return { consume: false, needsDownloadLeft: true, event: { kind: 'opened', detail: 'self' } };
          return teamId !== null ? { consume: true, event: { kind: 'opened', detail: 'team' } } : { consume: true };
        },
        release,
      },
    );
  }
}
