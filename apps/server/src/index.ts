// @valise/server's public surface: what the CLI's admin commands (run on the server host, same environment) and
// the tests of other packages need.
export { CONFIG_VARIABLES, ConfigError, describeConfig, loadConfig } from './config.js';
export type { Config, Env, PolicyLimits } from './config.js';
export { createServerContext, Lifecycle } from './context.js';
export type { ServerContext, ServerContextOptions } from './context.js';
export { migrateToLatest, migrationStatus } from './db/migrate.js';
export type { DatabaseHandle, Dialect } from './db/database.js';
export type { Database } from './db/schema.js';
export { withWriteTransaction } from './db/transaction.js';
export { AuditRepository } from './audit/audit.repository.js';
export type { AuditEntry, AuditRecord, ChainVerification } from './audit/audit.repository.js';
export { AppError } from './http/errors.js';
export { buildApp } from './http/app.js';
export type { AppDeps, DomainPlugin } from './http/app.js';
export { runServer, startServer } from './main.js';
export type { DomainParts, RunningServer, ServerJob, StartServerOptions } from './main.js';
export { accountServiceFor, inviteMember } from './accounts/invite.js';
export { checkServerStorage } from './jobs/storage-check.js';
export { listLegalHolds, placeLegalHold, releaseLegalHold } from './retention/legal-hold-admin.js';
export type { ActiveHold } from './retention/legal-hold.repository.js';
export type { PlacedHold, ReleasedHold } from './retention/legal-hold.service.js';
export { serverRetentionReport } from './retention/retention-report.js';
export type { RetentionReport, RetentionReportOptions } from './retention/retention-report.js';
export { changeDataClass, listDataClasses } from './retention/retention-admin.js';
export type { DataClassChanges, EffectiveClass } from './retention/data-class.service.js';
export type { MissingBlob, StorageCheckOptions, StorageCheckReport } from './jobs/storage-check.js';
export { createLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
