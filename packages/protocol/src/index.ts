// @valise/protocol: the HTTP API's shapes (TypeBox JSON Schemas), error codes and shared limits. No I/O.
export * from './errors.js';
export * from './primitives.js';
export * from './accounts.js';
export * from './transfers.js';
export * from './gate.js';
export * from './inbox.js';
export * from './drop-boxes.js';
export * from './member-keys.js';
export * from './teams.js';
export * from './limits.js';
