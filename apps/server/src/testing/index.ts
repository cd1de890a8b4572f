// @valise/server/testing: what other workspaces' tests need to run the real server (never loaded in production;
// the main entry point has the rest: createLogger, inviteMember…).
export { startTestServer } from './test-server.js';
export type { TestServer, TestServerOptions } from './test-server.js';
export { availableDialects, DIALECTS } from './databases.js';
export { ManualClock } from './manual-clock.js';
export { createDomain } from '../domain.js';
export type { Domain } from '../domain.js';
export { totpCodeAt } from '../accounts/totp.js';
export { OutboxReader, type OutboxMessage } from './outbox-reader.js';
