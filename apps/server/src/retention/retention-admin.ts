// Retention actions run on the server host (`valise admin classes`), on a context made from the same environment.
import { userInfo } from 'node:os';
import type { ServerContext } from '../context.js';
import { DataClassService, type DataClassChanges, type EffectiveClass } from './data-class.service.js';

export function dataClassServiceFor(ctx: ServerContext): DataClassService {
  return new DataClassService({ handle: ctx.database, audit: ctx.audit, clock: ctx.clock, limits: ctx.config.limits });
}

/** Who acted, as the audit log records an administrator at the server's command line. */
export function commandLineActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): the audit entry still says it came from the command line.
  }
  return `cli:${user}`;
}

export async function listDataClasses(ctx: ServerContext): Promise<{ classes: EffectiveClass[]; defaultClass: string }> {
  return { classes: await dataClassServiceFor(ctx).list(), defaultClass: ctx.config.limits.defaultDataClass };
}

/** Creates (`create`) or changes a class; audited; tightening applies to live transfers of the class at once. */
export async function changeDataClass(
  ctx: ServerContext, name: string, changes: DataClassChanges, options: { create: boolean },
): Promise<{ dataClass: EffectiveClass; transfersShortened: number }> {
  return dataClassServiceFor(ctx).change(commandLineActor(), name, changes, options);
}
