// Download grants kept in this browser (IndexedDB of this origin), so that a download interrupted by a closed tab, a
// reload or a failed save resumes from the same link without a new code and without spending another download —
// as `valise receive` does with its 0600 file. A grant alone opens nothing: the files' keys need the link's secret,
// which is never stored. Each grant is deleted once its download completed or once the server no longer honours it
// (grants slide while in use, so only the server knows when one has ended).
import type { KeptGrant } from '@valise/client';
import { createStore, del, get, set } from 'idb-keyval';

const db = createStore('valise-grants', 'grants');

export async function keepGrant(grant: KeptGrant): Promise<void> {
  await set(grant.transferId, grant.grantToken, db).catch(() => undefined);
}

/** The grant token kept for this transfer, if any. */
export async function keptGrantFor(transferId: string): Promise<string | undefined> {
  const value: unknown = await get(transferId, db).catch(() => undefined);
  return typeof value === 'string' ? value : undefined;
}

export async function forgetGrant(transferId: string): Promise<void> {
  await del(transferId, db).catch(() => undefined);
}
