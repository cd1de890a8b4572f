// Wires the domain once per server: services over the context, the HTTP plugins that expose them, background jobs.
// Add a domain here (services → plugin → job); main.ts and the test server both start from createDomain().
import { AccountRepository } from './accounts/account.repository.js';
import { accountRoutes } from './accounts/account.routes.js';
import { AccountService } from './accounts/account.service.js';
import { memberAuth } from './accounts/authenticate.js';
import { boxRoutes, depositRoutes } from './boxes/boxes.routes.js';
import { BoxService } from './boxes/boxes.service.js';
import { DepositService } from './boxes/deposits.service.js';
import type { ServerContext } from './context.js';
import { inboxRoutes } from './inbox/inbox.routes.js';
import { InboxService } from './inbox/inbox.service.js';
import type { DomainParts, ServerJob } from './main.js';
import { memberKeyRoutes } from './members/member-keys.routes.js';
import { MemberKeyService } from './members/member-keys.service.js';
import { TeamDirectory } from './teams/team-directory.js';
import { teamRoutes } from './teams/teams.routes.js';
import { TeamService } from './teams/teams.service.js';
import { createTransferDomain, type TransferDomain } from './transfers/transfer-domain.js';
import { webRoutes } from './web/web.routes.js';

/** Every domain of the product; main.ts and the test server take its plugins and jobs (DomainParts). */
export interface Domain extends DomainParts {
  readonly jobs: readonly ServerJob[];
  readonly accounts: AccountService;
  readonly transfers: TransferDomain;
  readonly memberKeys: MemberKeyService;
  readonly inbox: InboxService;
  readonly boxes: BoxDomain;
  readonly teams: TeamService;
}

/** Drop boxes: the owner's side, the depositor's, and the mails they leave behind. */
export interface BoxDomain {
  readonly boxes: BoxService;
  readonly deposits: DepositService;
}

export function createDomain(ctx: ServerContext): Domain {
  const accounts = new AccountService({
    accounts: new AccountRepository(ctx.database), audit: ctx.audit, keystore: ctx.keystore, clock: ctx.clock,
    logger: ctx.logger, publicUrl: ctx.config.publicUrl,
  });
  const auth = memberAuth(accounts, ctx.config.publicUrl);
  const memberKeys = new MemberKeyService({
    handle: ctx.database, audit: ctx.audit, clock: ctx.clock, logger: ctx.logger, orgPublicKey: ctx.config.orgPublicKey,
  });
  const directory = new TeamDirectory({ handle: ctx.database, orgPublicKey: ctx.config.orgPublicKey });
  const transfers = createTransferDomain(ctx, auth, memberKeys, directory);
  const inbox = new InboxService({ handle: ctx.database, keystore: ctx.keystore, clock: ctx.clock });
  const boxDeps = {
    handle: ctx.database, clock: ctx.clock, audit: ctx.audit, limits: ctx.config.limits, dataClasses: transfers.dataClasses, publicUrl: ctx.config.publicUrl,
  };
  const boxes: BoxDomain = {
    boxes: new BoxService({ ...boxDeps, memberKeys, teams: directory }),
    deposits: new DepositService({ ...boxDeps, keystore: ctx.keystore, mailLater: transfers.mailLater, teamNotices: transfers.teamNotices }),
  };
  const teams = new TeamService({
    handle: ctx.database, clock: ctx.clock, audit: ctx.audit, directory, memberKeys, orgPublicKey: ctx.config.orgPublicKey, notices: transfers.teamNotices,
  });
  return {
    accounts,
    transfers,
    memberKeys,
    inbox,
    boxes,
    teams,
    plugins: [
      accountRoutes(accounts, auth), ...transfers.plugins, inboxRoutes({ inbox, auth }), memberKeyRoutes(memberKeys, auth),
      boxRoutes({ boxes: boxes.boxes, deposits: boxes.deposits, auth }), depositRoutes({ deposits: boxes.deposits, parts: transfers.parts }),
      teamRoutes(teams, auth), webRoutes(),
    ],
    // Box codes, receipts and owners' notices leave through transfers.mailLater, drained by its job at shutdown.
    jobs: transfers.jobs,
  };
}
