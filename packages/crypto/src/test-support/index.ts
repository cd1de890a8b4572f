// @valise/crypto/testing: the vector loaders, for other workspaces' tests (the web app runs them in Chromium).
// Node only; never imported by library code.
export { type ChunkedVector, allTests, chunkedCiphertext, hex, loadWycheproof, sha512Hex, toHex } from './vectors.js';
export { type ValiseVectors, loadValiseVectors } from './valise-vectors.js';
export { type TestOrg, testOrg } from './member-org.js';
