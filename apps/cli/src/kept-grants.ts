// Download grants kept between runs of `valise receive`, so an interrupted download resumes without spending
// another download: one 0600 JSON file per transfer under `<config dir>/grants/` (folder 0700), named by a hash
// of the server and transfer id. A grant token alone opens nothing: the key is in the link, which is not kept.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { KeptGrant } from '@valise/client';
import { readPrivateFile, removeFile, writePrivateFile } from './private-files.js';

export interface KeptGrantStore {
  /** The kept grant for this transfer if it is still live by its own expiry, else undefined. */
  load(serverUrl: string, transferId: string, now?: number): Promise<KeptGrant | undefined>;
  save(grant: KeptGrant): Promise<void>;
  delete(serverUrl: string, transferId: string): Promise<void>;
}

export function createKeptGrantStore(configDir: string): KeptGrantStore {
  const dir = join(configDir, 'grants');
  const path = (serverUrl: string, transferId: string) =>
    join(dir, `${createHash('sha256').update(JSON.stringify([serverUrl, transferId]), 'utf8').digest('hex')}.json`);
  return {
    async load(serverUrl, transferId, now = Date.now()) {
      const text = await readPrivateFile(path(serverUrl, transferId));
      if (text === undefined) return undefined;
      let value: Partial<KeptGrant>;
      try {
        value = JSON.parse(text) as Partial<KeptGrant>;
      } catch {
        return undefined; // damaged: as good as none, the recipient opens the transfer again
      }
      const ok = value.serverUrl === serverUrl && value.transferId === transferId
        && typeof value.grantToken === 'string' && typeof value.grantExpiresAt === 'number';
      return ok && (value.grantExpiresAt as number) > now ? (value as KeptGrant) : undefined;
    },
    async save(grant) {
      await writePrivateFile(path(grant.serverUrl, grant.transferId), JSON.stringify(grant));
    },
    async delete(serverUrl, transferId) {
      await removeFile(path(serverUrl, transferId));
    },
  };
}
