// What the browser build gives for a bare `import("crypto")`: @hpke/common falls back to it only where
// globalThis.crypto is missing (Node ≤ 18), never in a browser; the page's own WebCrypto is the answer anyway.
export const webcrypto = globalThis.crypto;
export default { webcrypto };
