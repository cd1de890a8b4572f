// @valise/cli as a library: the `valise` command's entry point (bin/valise.js calls it).
export { main } from './main.js';
export { type CliCommand, type ParseOutcome, parseCommandLine } from './command-line.js';
export { EXIT } from './exit-codes.js';
