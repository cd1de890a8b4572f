// `valise admin classes [list]` and `valise admin classes set NAME …`: the data classes (retention policies), run
// on the server host through the server's own services (see admin.ts).
import type { CliContext } from '../context.js';
import type { DataClassChangeArgs } from '../command-line.js';
import { formatDuration } from '../duration.js';
import { CliError, EXIT } from '../exit-codes.js';
import { loadServerAdmin, openServer, type DataClassInfo, type ServerAdminModule } from './admin.js';

type ClassAdmin = Required<Pick<ServerAdminModule, 'listDataClasses' | 'changeDataClass'>> & ServerAdminModule;

async function loadClassAdmin(): Promise<ClassAdmin> {
  const server = await loadServerAdmin();
  if (typeof server.listDataClasses !== 'function' || typeof server.changeDataClass !== 'function') {
    throw new CliError(EXIT.unexpected, 'this version of the Valise server does not provide data classes (listDataClasses)');
  }
  return server as ClassAdmin;
}

export async function runAdminClassesList(ctx: CliContext): Promise<void> {
  const server = await loadClassAdmin();
  const serverCtx = await openServer(ctx, server);
  try {
    const { classes, defaultClass } = await server.listDataClasses(serverCtx);
    ctx.result({ defaultClass, classes }, describeClasses(classes, defaultClass));
  } finally {
    await serverCtx.close?.();
  }
}

export async function runAdminClassesSet(ctx: CliContext, cmd: { className: string; create: boolean; changes: DataClassChangeArgs }): Promise<void> {
  const server = await loadClassAdmin();
  const serverCtx = await openServer(ctx, server);
  try {
    const { maxExpirySeconds, defaultExpirySeconds, ...rest } = cmd.changes;
    const changes = {
      ...rest,
      ...(maxExpirySeconds === undefined ? {} : { maxExpiryMs: maxExpirySeconds * 1000 }),
      ...(defaultExpirySeconds === undefined ? {} : { defaultExpiryMs: defaultExpirySeconds * 1000 }),
    };
    const { dataClass, transfersShortened } = await server.changeDataClass(serverCtx, cmd.className, changes, { create: cmd.create }).catch(asUsageError);
    ctx.result({ dataClass, transfersShortened }, describeClasses([dataClass], null));
    if (!ctx.json) {
      ctx.note(`${cmd.create ? 'Created' : 'Changed'} the data class ${dataClass.name} (recorded in the audit log).`);
      if (transfersShortened > 0) ctx.note(`${transfersShortened} live transfer${transfersShortened === 1 ? '' : 's'} of this class now expire${transfersShortened === 1 ? 's' : ''} earlier.`);
    }
  } finally {
    await serverCtx.close?.();
  }
}

function describeClasses(classes: readonly DataClassInfo[], defaultClass: string | null): string[] {
  const header = ['class', 'max life', 'default', 'downloads', 'deleted when downloaded', 'outside recipients'];
  const rows = classes.map((c) => [
    c.name + (c.name === defaultClass ? ' (default)' : ''),
    formatDuration(Math.floor(c.maxExpiryMs / 1000)),
    formatDuration(Math.floor(c.defaultExpiryMs / 1000)),
    String(c.maxDownloads),
    c.deleteWhenDownloaded ? 'yes' : 'no',
    c.allowOutsideRecipients ? 'yes' : 'no',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = [line(header), ...rows.map(line)];
  for (const c of classes) if (c.description !== '') lines.push(`${c.name}: ${c.description}`);
  return lines;
}

/** The server refuses values with an AppError (a code and words for people): for the CLI, a usage error. */
function asUsageError(error: unknown): never {
  const refused = error as { name?: unknown; code?: unknown; message?: unknown } | null;
  if (refused?.name === 'AppError' && typeof refused.code === 'string' && typeof refused.message === 'string') {
    throw new CliError(EXIT.usage, refused.message, { cause: error });
  }
  throw error;
}
