// Where the send engine keeps what it needs to resume an interrupted upload. The state holds secrets (CK, LS,
// file keys): a store must keep it private to the user (the CLI writes 0600 files) and delete it when done.

/** Per-file part of a resume state. */
export interface ResumeFileState {
  fileId: string;
  /** FK, base64url. */
  key: string;
  /** The file's Cobblestone salt, base64url: with FK it makes re-encrypting a part give identical bytes. */
  salt: string;
  size: number;
  ciphertextSize: number;
  /** base64url SHA-256 of each ciphertext part once encrypted, `null` until then. */
  partHashes: (string | null)[];
}

/** Everything needed to continue an upload with the same keys. Version 1 of this JSON shape. */
export interface ResumeState {
  v: 1;
  serverUrl: string;
  transferId: string;
  /** Fingerprint of the sources and settings the keys were made for; resume only if it is unchanged. */
  fingerprint: string;
  /** ISO 8601 creation time, reused in the manifest. */
  createdAt: string;
  /** The download limit and data class the server set at creation. */
  maxDownloads: number;
  dataClass: string;
  /** CK, LS and the link slot id, base64url. */
  clientKey: string;
  linkSecret: string;
  slotId: string;
  files: ResumeFileState[];
}

export interface ResumeStore {
  load(key: string): Promise<ResumeState | undefined>;
  save(key: string, state: ResumeState): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A ResumeStore in memory (tests; a browser tab that only resumes after network failures). */
export function createMemoryResumeStore(): ResumeStore & { readonly size: number } {
  const states = new Map<string, string>();
  return {
    async load(key) {
      const json = states.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as ResumeState);
    },
    async save(key, state) {
      states.set(key, JSON.stringify(state)); // a copy: later changes by the engine are not shared by reference
    },
    async delete(key) {
      states.delete(key);
    },
    get size() {
      return states.size;
    },
  };
}

/** Checks the shape of a loaded state; anything else is treated as absent (and the upload restarts). */
export function isResumeState(value: unknown): value is ResumeState {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  const strings = ['serverUrl', 'transferId', 'fingerprint', 'createdAt', 'clientKey', 'linkSecret', 'slotId', 'dataClass'];
  if (s.v !== 1 || typeof s.maxDownloads !== 'number' || strings.some((k) => typeof s[k] !== 'string') || !Array.isArray(s.files)) return false;
  return s.files.every((f: unknown) => {
    if (typeof f !== 'object' || f === null) return false;
    const r = f as Record<string, unknown>;
    return typeof r.fileId === 'string' && typeof r.key === 'string' && typeof r.salt === 'string' &&
      typeof r.size === 'number' && typeof r.ciphertextSize === 'number' && Array.isArray(r.partHashes) &&
      r.partHashes.every((h) => h === null || typeof h === 'string');
  });
}
