// Share keys: one key per UTC day (an "epoch") seals the server shares (SS) made that day. The first instance that
// needs a day's key makes it; the shredder destroys it once no live transfer can need it, and then every copy of
// that day's sealed shares, backups included, is undecryptable (crypto-shredding).
import type { Clock } from './clock.js';
import {
  DAY_MS, ShareKeyFileError, createShareKey, dayOf, deleteShareKey, listShareKeyEpochs, prepareShareKeyDir, readShareKey,
} from './share-key-files.js';

export { DAY_MS, dayOf } from './share-key-files.js';

/**
 * How long a key read from disk is used before it is read again. It bounds how long an instance keeps using a key
 * that another instance destroyed (the destroying instance forgets it at once).
 */
export const SHARE_KEY_CACHE_MS = 60_000;

/** The epoch of an instant: whole UTC days since 1970-01-01. */
export function epochOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The first instant after the epoch's day. */
export function epochEnd(epoch: number): number {
  return (epoch + 1) * DAY_MS;
}

/** The key of an epoch is not in the folder: shredded on purpose, or the folder is not the one that sealed it. */
export class ShareKeyGoneError extends Error {
  readonly epoch: number;

  constructor(epoch: number) {
    super(
      `the share key of epoch ${epoch} (${dayOf(epoch)}) is gone: destroyed by the share-key shredder once no live ` +
        'transfer needed it, or this is not the data folder that sealed the share',
    );
    this.name = 'ShareKeyGoneError';
    this.epoch = epoch;
  }
}

export interface ShareKeys {
  /** Today's epoch (UTC day of the server's clock) and its key, made by the first instance that needs it. */
  current(): { readonly epoch: number; readonly key: Uint8Array };
  /** The key of `epoch`; ShareKeyGoneError once it has been destroyed. */
  key(epoch: number): Uint8Array;
  /** The epochs whose key exists, oldest first. */
  epochs(): Promise<number[]>;
  /** Destroys the key of `epoch` (durably, for every instance sharing the folder); false if it was already gone. */
  destroy(epoch: number): Promise<boolean>;
  /** Drops keys read longer ago than the cache period, used or not (the shredder calls it on every run). */
  forgetStale(): void;
}

interface Cached {
  readonly key: Uint8Array;
  readonly readAt: number;
}

/** The share keys of DATA_DIR/share-keys/ (see share-key-files.ts), with a short in-memory cache. */
export class ShareKeyStore implements ShareKeys {
  readonly dir: string;
  readonly #clock: Clock;
  readonly #cacheMs: number;
  // Dropped, never wiped: JavaScript cannot promise erasure, and a caller may still hold the array.
  readonly #cache = new Map<number, Cached>();

  private constructor(dir: string, clock: Clock, cacheMs: number) {
    this.dir = dir;
    this.#clock = clock;
    this.#cacheMs = cacheMs;
  }

  static async open(dataDir: string, clock: Clock, options: { cacheMs?: number } = {}): Promise<ShareKeyStore> {
    return new ShareKeyStore(await prepareShareKeyDir(dataDir), clock, options.cacheMs ?? SHARE_KEY_CACHE_MS);
  }

  current(): { readonly epoch: number; readonly key: Uint8Array } {
    const epoch = epochOf(this.#clock.now());
    const found = this.#lookup(epoch);
    if (found !== null) return { epoch, key: found };
    createShareKey(this.dir, epoch);
    const created = this.#lookup(epoch);
    if (created === null) throw new ShareKeyFileError(`the share key of epoch ${epoch} disappeared right after it was created`);
    return { epoch, key: created };
  }

  key(epoch: number): Uint8Array {
    const found = this.#lookup(epoch);
    if (found === null) throw new ShareKeyGoneError(epoch);
    return found;
  }

  epochs(): Promise<number[]> {
    return listShareKeyEpochs(this.dir);
  }

  async destroy(epoch: number): Promise<boolean> {
    this.#cache.delete(epoch);
    const deleted = await deleteShareKey(this.dir, epoch);
    // Again: a lookup during the unlink may have cached it.
    this.#cache.delete(epoch);
    return deleted;
  }

  /** The epochs whose key this instance holds in memory now (for tests and diagnostics). */
  cachedEpochs(): number[] {
    return [...this.#cache.keys()].sort((x, y) => x - y);
  }

  forgetStale(): void {
    const now = this.#clock.now();
    for (const [epoch, cached] of this.#cache) if (!this.#isFresh(cached, now)) this.#cache.delete(epoch);
  }

  #lookup(epoch: number): Uint8Array | null {
    this.forgetStale();
    const cached = this.#cache.get(epoch);
    if (cached !== undefined) return cached.key;
    const key = readShareKey(this.dir, epoch);
    if (key !== null) this.#cache.set(epoch, { key, readAt: this.#clock.now() });
    return key;
  }

  #isFresh(cached: Cached, now: number): boolean {
    // A clock that went backwards counts as stale too.
    return now >= cached.readAt && now - cached.readAt < this.#cacheMs;
  }
}
