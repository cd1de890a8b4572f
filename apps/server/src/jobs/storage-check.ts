// `valise admin fsck`: compares the blob store with the database. An orphan blob is stored but belongs to no part
// (a crash between storing a part and recording it, or a purge that could not delete); a missing blob is a part
// recorded for a live transfer whose object is gone. With `repair`, orphan blobs are deleted (checked gone) and the
// parts of unfinished uploads whose blob is missing are forgotten, so the sender's client sends them again; every
// repair is recorded in the audit log. A finalized transfer with a missing blob is reported, never touched: what
// to tell its sender is a person's decision (revoking it is one command).
import type { AuditRepository } from '../audit/audit.repository.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Clock } from '../clock.js';
import type { ServerContext } from '../context.js';
import type { DatabaseHandle } from '../db/database.js';

/** Keys looked up in the database per query. */
const BATCH = 500;

export interface StorageCheckDeps {
  readonly handle: DatabaseHandle;
  readonly blobs: BlobStore;
  readonly audit: AuditRepository;
  readonly clock: Clock;
}

export interface MissingBlob {
  readonly transferId: string;
  readonly state: 'uploading' | 'ready';
  readonly fileId: string;
  readonly part: number;
  readonly blobKey: string;
}

export interface StorageCheckReport {
  readonly checkedAt: number;
  readonly blobsStored: number;
  readonly partsRecorded: number;
  /** Stored objects no part refers to. */
  readonly orphanBlobs: ReadonlyArray<{ readonly blobKey: string; readonly size: number | null }>;
  /** Parts of live transfers whose object is not in storage (transfers being purged are left to the purge). */
  readonly missingBlobs: readonly MissingBlob[];
  /** Null unless asked to repair. */
  readonly repaired: null | {
    readonly blobsDeleted: number;
    readonly bytesDeleted: number;
    /** Orphans recorded as parts between the check and the repair (an upload finishing): left alone. */
    readonly blobsClaimedMeanwhile: number;
    readonly partsForgotten: number;
    /** Finalized transfers with missing blobs: reported, not repaired. */
    readonly damagedTransfers: readonly string[];
  };
}

export interface StorageCheckOptions {
  readonly repair: boolean;
  /** Who asked (an administrator's id, or 'system'), for the audit record. */
  readonly actor?: string;
  /**
   * Wait between finding orphans and deleting them, so that a part being stored right now gets recorded first;
   * each orphan is looked up again after it. Default 10 s.
   */
  readonly graceMs?: number;
}

export async function checkStorage(deps: StorageCheckDeps, options: StorageCheckOptions): Promise<StorageCheckReport> {
  const { handle, blobs, clock } = deps;
  const db = handle.db;
  // Storage first, then the database: a part recorded after this listing is seen by the queries below.
  const stored = new Set<string>();
  for await (const key of blobs.list()) stored.add(key);

  const orphanKeys: string[] = [];
  for (const batch of batches([...stored])) {
    const known = new Set((await db.selectFrom('parts').select('blob_key').where('blob_key', 'in', batch).execute()).map((r) => r.blob_key));
    for (const key of batch) if (!known.has(key)) orphanKeys.push(key);
  }
  const orphanBlobs = await Promise.all(orphanKeys.map(async (blobKey) => ({ blobKey, size: (await blobs.stat(blobKey))?.size ?? null })));

  const parts = await db
    .selectFrom('parts')
    .innerJoin('transfers', 'transfers.id', 'parts.transfer_id')
    .select(['parts.transfer_id', 'parts.file_id', 'parts.idx', 'parts.blob_key', 'transfers.state'])
    .execute();
  const missingBlobs: MissingBlob[] = parts
    .filter((p) => (p.state === 'uploading' || p.state === 'ready') && !stored.has(p.blob_key))
    .map((p) => ({ transferId: p.transfer_id, state: p.state as 'uploading' | 'ready', fileId: p.file_id, part: p.idx, blobKey: p.blob_key }));

  const report = { checkedAt: clock.now(), blobsStored: stored.size, partsRecorded: parts.length, orphanBlobs, missingBlobs };
  if (!options.repair) return { ...report, repaired: null };
  return { ...report, repaired: await repair(deps, report, options) };
}

/** checkStorage with a server context (what `valise admin fsck` calls). */
export function checkServerStorage(ctx: Pick<ServerContext, 'database' | 'blobs' | 'audit' | 'clock'>, options: StorageCheckOptions): Promise<StorageCheckReport> {
  return checkStorage({ handle: ctx.database, blobs: ctx.blobs, audit: ctx.audit, clock: ctx.clock }, options);
}

async function repair(
  deps: StorageCheckDeps,
  found: Omit<StorageCheckReport, 'repaired'>,
  options: StorageCheckOptions,
): Promise<NonNullable<StorageCheckReport['repaired']>> {
  const { handle, blobs, audit } = deps;
  const db = handle.db;
  if (found.orphanBlobs.length > 0) await new Promise((resolve) => setTimeout(resolve, options.graceMs ?? 10_000));
  let blobsDeleted = 0;
  let bytesDeleted = 0;
  let blobsClaimedMeanwhile = 0;
  const deleted: string[] = [];
  for (const batch of batches(found.orphanBlobs.map((o) => o.blobKey))) {
    const claimed = new Set((await db.selectFrom('parts').select('blob_key').where('blob_key', 'in', batch).execute()).map((r) => r.blob_key));
    for (const key of batch) {
      if (claimed.has(key)) {
        blobsClaimedMeanwhile++;
        continue;
      }
      await blobs.delete(key);
      if ((await blobs.stat(key)) !== null) throw new Error(`blob ${key} is still stored after its deletion`);
      blobsDeleted++;
      bytesDeleted += found.orphanBlobs.find((o) => o.blobKey === key)?.size ?? 0;
      deleted.push(key);
    }
  }
  // Parts of unfinished uploads: forgetting them makes the client send them again when it resumes.
  let partsForgotten = 0;
  for (const missing of found.missingBlobs.filter((m) => m.state === 'uploading')) {
    const result = await db.deleteFrom('parts')
      .where('file_id', '=', missing.fileId).where('idx', '=', missing.part).where('blob_key', '=', missing.blobKey)
      .where('transfer_id', 'in', db.selectFrom('transfers').select('id').where('state', '=', 'uploading'))
      .executeTakeFirst();
    partsForgotten += Number(result.numDeletedRows);
  }
  const damagedTransfers = [...new Set(found.missingBlobs.filter((m) => m.state === 'ready').map((m) => m.transferId))];
  const repaired = { blobsDeleted, bytesDeleted, blobsClaimedMeanwhile, partsForgotten, damagedTransfers };
  if (blobsDeleted + partsForgotten > 0 || damagedTransfers.length > 0) {
    await audit.append({ actor: options.actor ?? 'system', action: 'storage.repaired', target: null, detail: { ...repaired, orphanBlobKeys: deleted } });
  }
  return repaired;
}

function* batches<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += BATCH) yield items.slice(i, i + BATCH);
}
