// Wires the domain once per server: services over the context, the HTTP plugins that expose them, background jobs.
// Add a domain here (services → plugin → job); main.ts and the test server both start from createDomain().
import { AccountRepository } from './accounts/account.repository.js';
import { accountRoutes } from './accounts/account.routes.js';
import { AccountService } from './accounts/account.service.js';
import { memberAuth } from './accounts/authenticate.js';
import type { ServerContext } from './context.js';
import type { DomainPlugin } from './http/app.js';
import { createTransferDomain, type TransferDomain } from './transfers/transfer-domain.js';

export interface BackgroundJob {
  readonly name: string;
  start(): void;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

export interface Domain {
  readonly plugins: readonly DomainPlugin[];
  readonly jobs: readonly BackgroundJob[];
  readonly accounts: AccountService;
  readonly transfers: TransferDomain;
}

export function createDomain(ctx: ServerContext): Domain {
  const accounts = new AccountService({
    accounts: new AccountRepository(ctx.database), audit: ctx.audit, keystore: ctx.keystore, clock: ctx.clock,
    logger: ctx.logger, publicUrl: ctx.config.publicUrl,
  });
  const auth = memberAuth(accounts, ctx.config.publicUrl);
  const transfers = createTransferDomain(ctx, auth);
  return {
    accounts,
    transfers,
    plugins: [accountRoutes(accounts, auth), ...transfers.plugins],
    jobs: [...transfers.jobs],
  };
}
