// The purge's closing rules: expired, exhausted (once no grant lives), downloaded (the class says so, every
// recipient and every team confirmed, a short grace for a second copy in flight) and abandoned uploads (after a day, or at once for a
// deposit whose drop box expired or closed). Revoking closes at once
// (TransferService). A legal hold does not stop a closing: a held transfer is never served past its deadline.
import { sql } from 'kysely';
import type { Executor } from '../transfers/transfer.repository.js';

/** An upload left unfinished this long is abandoned: its parts are purged like any closed transfer's. */
export const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;
/** Openings are kept this long after creation: the code rate limits count them over this window. */
export const OPENING_RETENTION_MS = 60 * 60 * 1000;
/**
 * Grace of the 'downloaded' rule. A confirmed download ends its own grant, so a grant still live once every
 * recipient has confirmed is a second copy in flight (another device, a member grant). It may finish within this
 * grace; past it the class's promise ("deleted once downloaded") wins over an idle grant, which could otherwise
 * keep the data for its whole 30-minute sliding life, again and again.
 */
export const DOWNLOADED_GRACE_MS = 2 * 60 * 1000;

export interface ClosedCounts {
  readonly expired: number;
  readonly exhausted: number;
  readonly abandoned: number;
  readonly downloaded: number;
}

/** Closes every transfer whose time or downloads are up, and every long-abandoned upload. Holds do not matter. */
export async function closeDue(db: Executor, now: number): Promise<ClosedCounts> {
  const closed = (reason: string) => ({ state: 'closed' as const, close_reason: reason, closed_at: now });
  const expired = await db
    .updateTable('transfers')
    .set(closed('expired'))
    .where('state', '=', 'ready')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  // A transfer whose last download was granted stays ready while that grant lives, so the download can finish.
  const exhausted = await db
    .updateTable('transfers')
    .set(closed('exhausted'))
    .where('state', '=', 'ready')
    .where((eb) => eb('downloads_used', '>=', eb.ref('max_downloads')))
    .where((eb) =>
      eb.not(eb.exists(
        eb.selectFrom('grants')
          .select(sql<number>`1`.as('one'))
          .whereRef('grants.transfer_id', '=', 'transfers.id')
          .where('grants.expires_at', '>', now),
      )),
    )
    .executeTakeFirst();
  const downloaded = await db
    .updateTable('transfers')
    .set(closed('downloaded'))
    .where('state', '=', 'ready')
    .where('data_class', 'in', (eb) => eb.selectFrom('data_classes').select('name').where('delete_when_downloaded', '=', 1))
    // Recipients are the recipient rows and the teams (a team is one recipient, marked by whichever member completes).
    .where((eb) =>
      eb.and([
        eb.or([
          eb.exists(eb.selectFrom('recipients').select(sql<number>`1`.as('one')).whereRef('recipients.transfer_id', '=', 'transfers.id')),
          eb.exists(eb.selectFrom('transfer_teams').select(sql<number>`1`.as('one')).whereRef('transfer_teams.transfer_id', '=', 'transfers.id')),
        ]),
        eb.not(eb.exists(
          eb.selectFrom('recipients')
            .select(sql<number>`1`.as('one'))
            .whereRef('recipients.transfer_id', '=', 'transfers.id')
            .where('recipients.downloaded_at', 'is', null),
        )),
        eb.not(eb.exists(
          eb.selectFrom('transfer_teams')
            .select(sql<number>`1`.as('one'))
            .whereRef('transfer_teams.transfer_id', '=', 'transfers.id')
            .where('transfer_teams.downloaded_at', 'is', null),
        )),
        eb.or([
          eb.not(eb.exists(
            eb.selectFrom('grants')
              .select(sql<number>`1`.as('one'))
              .whereRef('grants.transfer_id', '=', 'transfers.id')
              .where('grants.expires_at', '>', now),
          )),
          // Every confirmation is older than the grace (a live grant is a second copy in flight, not a first one).
          eb.and([
            eb.not(eb.exists(
              eb.selectFrom('recipients').select(sql<number>`1`.as('one'))
                .whereRef('recipients.transfer_id', '=', 'transfers.id').where('recipients.downloaded_at', '>', now - DOWNLOADED_GRACE_MS),
            )),
            eb.not(eb.exists(
              eb.selectFrom('transfer_teams').select(sql<number>`1`.as('one'))
                .whereRef('transfer_teams.transfer_id', '=', 'transfers.id').where('transfer_teams.downloaded_at', '>', now - DOWNLOADED_GRACE_MS),
            )),
          ]),
        ]),
      ]),
    )
    .executeTakeFirst();
  const abandoned = await db
    .updateTable('transfers')
    .set(closed('abandoned'))
    .where('state', '=', 'uploading')
    .where('created_at', '<=', now - ABANDONED_AFTER_MS)
    .executeTakeFirst();
  // A deposit still uploading when its box expired (or closed) can never be finalized: abandoned now, not in a day.
  const boxGone = await db
    .updateTable('transfers')
    .set(closed('abandoned'))
    .where('state', '=', 'uploading')
    .where('box_id', 'in', (eb) => eb.selectFrom('drop_boxes').select('id').where((b) => b.or([b('expires_at', '<=', now), b('state', '=', 'closed')])))
    .executeTakeFirst();
  return {
    expired: Number(expired.numUpdatedRows),
    exhausted: Number(exhausted.numUpdatedRows),
    abandoned: Number(abandoned.numUpdatedRows) + Number(boxGone.numUpdatedRows),
    downloaded: Number(downloaded.numUpdatedRows),
  };
}
