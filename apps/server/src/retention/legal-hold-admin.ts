// Legal holds from the server host (`valise admin hold|release|holds`), on a context made from the same environment.
import type { ServerContext } from '../context.js';
import { PurgeJob } from '../jobs/purge.job.js';
import type { ActiveHold } from './legal-hold.repository.js';
import { LegalHoldService, type PlacedHold, type ReleasedHold } from './legal-hold.service.js';
import { commandLineActor } from './retention-admin.js';

type AdminContext = Pick<ServerContext, 'database' | 'blobs' | 'clock' | 'audit' | 'logger' | 'config'>;

/** The service with a purge job of its own: a release purges at once, whether or not a server runs here. */
export function legalHoldServiceFor(ctx: AdminContext): LegalHoldService {
  const purge = new PurgeJob({
    handle: ctx.database, blobs: ctx.blobs, clock: ctx.clock, audit: ctx.audit, logger: ctx.logger, intervalMs: ctx.config.purgeIntervalMs,
  });
  return new LegalHoldService({ handle: ctx.database, audit: ctx.audit, clock: ctx.clock, purge });
}

export function placeLegalHold(ctx: AdminContext, transferId: string, reason: string): Promise<PlacedHold> {
  return legalHoldServiceFor(ctx).place(commandLineActor(), transferId, reason);
}

export function releaseLegalHold(ctx: AdminContext, transferId: string, reason: string): Promise<ReleasedHold> {
  return legalHoldServiceFor(ctx).release(commandLineActor(), transferId, reason);
}

export function listLegalHolds(ctx: AdminContext): Promise<ActiveHold[]> {
  return legalHoldServiceFor(ctx).list();
}
