// Migration 001: the initial tables (accounts, transfers and their parts, the gate, access events, the audit chain).
// Migrations use Kysely<any>, not the current Database type: they must keep compiling as the schema moves on.
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.js';

export function initial(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  // Both dialects give 'bigint' 64-bit integers (SQLite: INTEGER affinity); times and sizes need more than 32 bits.
  const ms = 'bigint';

  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0).check(sql`is_admin in (0, 1)`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'active', 'disabled')`))
        .addColumn('password_hash', 'text')
        .addColumn('totp_secret_enc', blob)
        .addColumn('totp_last_step', 'bigint')
        .addColumn('quota_bytes', 'bigint', (c) => c.check(sql`quota_bytes >= 0`))
        .addColumn('created_at', ms, (c) => c.notNull())
        // The application lowercases; this catches a forgotten call. (SQLite's lower() only folds ASCII.)
        .addCheckConstraint('users_email_lowercase', sql`email = lower(email)`)
        .execute();

      await db.schema
        .createTable('enrollments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // null: the first administrator's enrollment, whose address is chosen while enrolling.
        .addColumn('email', 'text')
        .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0).check(sql`is_admin in (0, 1)`))
        .addColumn('token_hash', blob, (c) => c.notNull().unique())
        // Issued by enroll/start, sealed under the keystore's TOTP key; moved to the user row on completion.
        .addColumn('totp_secret_enc', blob)
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('used_at', ms)
        .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addCheckConstraint('enrollments_email_lowercase', sql`email = lower(email)`)
        .execute();
      await db.schema.createIndex('enrollments_email').on('enrollments').column('email').execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('web', 'api')`))
        .addColumn('token_hash', blob, (c) => c.notNull().unique())
        .addColumn('label', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('last_used_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms)
        .addColumn('revoked_at', ms)
        .execute();
      await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();

      await db.schema
        .createTable('login_throttle')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('locked_until', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();

      // Data classes: retention policies an administrator sets (valise admin classes); every transfer has one.
      await db.schema
        .createTable('data_classes')
        .addColumn('name', 'text', (c) => c.primaryKey().check(sql`length(name) between 1 and 32`))
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('max_expiry_ms', 'bigint', (c) => c.notNull().check(sql`max_expiry_ms > 0`))
        .addColumn('default_expiry_ms', 'bigint', (c) => c.notNull().check(sql`default_expiry_ms > 0`))
        .addColumn('max_downloads', 'integer', (c) => c.notNull().check(sql`max_downloads > 0`))
        // 1: closed and purged as soon as every recipient has downloaded, whatever time is left.
        .addColumn('delete_when_downloaded', 'integer', (c) => c.notNull().check(sql`delete_when_downloaded in (0, 1)`))
        // 0: every recipient must be a member (an account with a second factor); no address from outside.
        .addColumn('allow_outside_recipients', 'integer', (c) => c.notNull().check(sql`allow_outside_recipients in (0, 1)`))
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addCheckConstraint('data_classes_default_within_max', sql`default_expiry_ms <= max_expiry_ms`)
        .execute();
      const day = 86_400_000;
      await db.insertInto('data_classes').values([
        { name: 'health', description: 'Health data: deleted once every recipient has downloaded, 7 days at most.',
          max_expiry_ms: 7 * day, default_expiry_ms: 3 * day, max_downloads: 20, delete_when_downloaded: 1, allow_outside_recipients: 1, updated_at: 0 },
        { name: 'standard', description: 'Everyday files: 30 days at most.',
          max_expiry_ms: 30 * day, default_expiry_ms: 7 * day, max_downloads: 100, delete_when_downloaded: 0, allow_outside_recipients: 1, updated_at: 0 },
      ]).execute();

      // Drop boxes (docs/format.md §13): made on a member's client, which keeps the private keys (sealed to each owner
      // below); the server holds the public side: the box signing public key (the link's fragment), the signed
      // epoch records, and the policy of the box. `name` is the signed record's, copied for lists and mails.
      await db.schema
        .createTable('drop_boxes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // The member who created it (its quota carries the deposits).
        .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
        .addColumn('sig', 'text', (c) => c.notNull().check(sql`sig in ('Ed25519', 'ECDSA-P256')`))
        .addColumn('sig_public_key', blob, (c) => c.notNull().check(sql`length(sig_public_key) in (32, 65)`))
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('open', 'closed')`))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('max_deposits', 'integer', (c) => c.notNull().check(sql`max_deposits > 0`))
        // Counted when a deposit is created; given back when an unfinished one is purged.
        .addColumn('deposits_used', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_deposit_bytes', 'bigint', (c) => c.notNull().check(sql`max_deposit_bytes > 0`))
        // JSON array of lowercase domains; [] accepts any address.
        .addColumn('allowed_domains', 'text', (c) => c.notNull())
        .addColumn('data_class', 'text', (c) => c.notNull().references('data_classes.name'))
        .addColumn('closed_at', ms)
        // When the purge deleted its keys (expired, and no deposit left): the row stays as the box's tombstone.
        .addColumn('purged_at', ms)
        // The deposit limit holds even if some code path forgets the atomic UPDATE … WHERE.
        .addCheckConstraint('drop_boxes_deposits_within_limit', sql`deposits_used >= 0 and deposits_used <= max_deposits`)
        .addCheckConstraint('drop_boxes_closed_at', sql`(state = 'closed') = (closed_at is not null)`)
        .execute();
      await db.schema.createIndex('drop_boxes_expires_at').on('drop_boxes').column('expires_at').where(sql<boolean>`purged_at is null`).execute();

      // Each epoch's box key record (canonical JSON, §13.2) and its signature by the box signing key.
      await db.schema
        .createTable('drop_box_keys')
        .addColumn('box_id', 'text', (c) => c.notNull().references('drop_boxes.id').onDelete('cascade'))
        .addColumn('epoch', 'integer', (c) => c.notNull().check(sql`epoch >= 1`))
        .addColumn('record', 'text', (c) => c.notNull().check(sql`length(record) between 2 and 2000`))
        .addColumn('signature', blob, (c) => c.notNull().check(sql`length(signature) = 64`))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('drop_box_keys_pk', ['box_id', 'epoch'])
        .execute();

      // The box's private keys, sealed to each owner's certified member key (§13.4): never opened here.
      await db.schema
        .createTable('drop_box_owner_keys')
        .addColumn('box_id', 'text', (c) => c.notNull().references('drop_boxes.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('fingerprint', blob, (c) => c.notNull().check(sql`length(fingerprint) = 32`))
        .addColumn('sealed', blob, (c) => c.notNull().check(sql`length(sealed) between 1 and 65536`))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('drop_box_owner_keys_pk', ['box_id', 'user_id'])
        .execute();
      await db.schema.createIndex('drop_box_owner_keys_user_id').on('drop_box_owner_keys').columns(['user_id', 'box_id']).execute();

      await db.schema
        .createTable('transfers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // The member who sent it; null for a deposit into a drop box (box_id), whose depositor has no account.
        .addColumn('sender_id', 'text', (c) => c.references('users.id'))
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('uploading', 'ready', 'closed', 'purged')`),
        )
        .addColumn('close_reason', 'text')
        .addColumn('data_class', 'text', (c) => c.notNull().references('data_classes.name'))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('finalized_at', ms)
        .addColumn('expires_in_ms', 'bigint', (c) => c.notNull().check(sql`expires_in_ms > 0`))
        .addColumn('expires_at', ms)
        .addColumn('max_downloads', 'integer', (c) => c.notNull().check(sql`max_downloads > 0`))
        .addColumn('downloads_used', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ss_enc', blob)
        .addColumn('ss_epoch', 'integer', (c) => c.notNull())
        .addColumn('link_slot_id', 'text', (c) => c.unique())
        .addColumn('link_slot', blob)
        .addColumn('link_auth_key', blob)
        .addColumn('manifest', blob)
        // The member sender's signature over the manifest (docs/format.md §12.2) and the key it names; stored for the
        // recipients, who verify it (the server cannot: it never sees the plaintext manifest).
        .addColumn('manifest_signature', blob, (c) => c.check(sql`length(manifest_signature) = 64`))
        .addColumn('signer_fingerprint', blob, (c) => c.check(sql`length(signer_fingerprint) = 32`))
        .addColumn('total_bytes', 'bigint', (c) => c.notNull().check(sql`total_bytes >= 0`))
        .addColumn('closed_at', ms)
        .addColumn('purged_at', ms)
        .addColumn('purge_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        // When the sender was told the transfer is about to expire unopened (at most once).
        .addColumn('expiry_warned_at', ms)
        // A deposit (§13.3): its box, the address the server verified by a code and the name the depositor typed, and
        // its only slot, CK sealed to the box key of box_slot_epoch (the purge destroys box_slot, like the link slot).
        .addColumn('box_id', 'text', (c) => c.references('drop_boxes.id'))
        .addColumn('depositor_email', 'text')
        .addColumn('depositor_name', 'text')
        .addColumn('box_slot_id', 'text')
        .addColumn('box_slot', blob, (c) => c.check(sql`length(box_slot) in (80, 113)`))
        .addColumn('box_slot_epoch', 'integer', (c) => c.check(sql`box_slot_epoch >= 1`))
        // The download limit holds even if some code path forgets the atomic UPDATE … WHERE.
        .addCheckConstraint('transfers_downloads_within_limit', sql`downloads_used >= 0 and downloads_used <= max_downloads`)
        // The purge destroys the signature but keeps the signer's fingerprint (public, like the sender).
        .addCheckConstraint('transfers_signature_has_signer', sql`manifest_signature is null or signer_fingerprint is not null`)
        // A member's transfer or a deposit, never both nor neither; a deposit names its depositor and has no link.
        .addCheckConstraint('transfers_sender_or_box', sql`(sender_id is null) = (box_id is not null)`)
        .addCheckConstraint('transfers_depositor_with_box', sql`(box_id is null) = (depositor_email is null) and (box_id is null) = (depositor_name is null)`)
        .addCheckConstraint('transfers_depositor_email_lowercase', sql`depositor_email = lower(depositor_email)`)
        .addCheckConstraint('transfers_box_slot_of_deposit', sql`box_slot_id is null or box_id is not null`)
        .addCheckConstraint('transfers_box_slot_epoch', sql`(box_slot_id is null) = (box_slot_epoch is null)`)
        .addCheckConstraint('transfers_deposit_without_link', sql`box_id is null or link_slot_id is null`)
        .execute();
      // The purge job scans by state and expiry.
      await db.schema.createIndex('transfers_state_expires_at').on('transfers').columns(['state', 'expires_at']).execute();
      await db.schema.createIndex('transfers_sender_id').on('transfers').columns(['sender_id', 'created_at']).execute();
      // A box's deposits: the owners' inbox, their quota, and the box purge's "no deposit left".
      await db.schema.createIndex('transfers_box_id').on('transfers').columns(['box_id', 'created_at']).execute();

      // Depositors' one-time codes (the gate's openings, for a box instead of a transfer): rate-limited per (box,
      // address) and per box, 5 attempts, stored as an HMAC bound to the opening.
      await db.schema
        .createTable('box_openings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('box_id', 'text', (c) => c.notNull().references('drop_boxes.id').onDelete('cascade'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', blob, (c) => c.notNull().unique())
        .addColumn('code_hash', blob, (c) => c.notNull())
        .addColumn('code_expires_at', ms, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('completed_at', ms)
        .addCheckConstraint('box_openings_email_lowercase', sql`email = lower(email)`)
        .execute();
      await db.schema.createIndex('box_openings_box_id_created_at').on('box_openings').columns(['box_id', 'created_at']).execute();

      // A verified depositor's bearer token (stored as an HMAC): one deposit into one box. transfer_id is set when the
      // deposit is created (once), spent_at when it is finalized; it expires 24 hours after the code was checked.
      await db.schema
        .createTable('deposit_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('box_id', 'text', (c) => c.notNull().references('drop_boxes.id').onDelete('cascade'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', blob, (c) => c.notNull().unique())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('transfer_id', 'text', (c) => c.unique().references('transfers.id'))
        .addColumn('spent_at', ms)
        .addCheckConstraint('deposit_tokens_email_lowercase', sql`email = lower(email)`)
        .addCheckConstraint('deposit_tokens_spent_after_deposit', sql`spent_at is null or transfer_id is not null`)
        .execute();
      await db.schema.createIndex('deposit_tokens_expires_at').on('deposit_tokens').column('expires_at').execute();

      await db.schema
        .createTable('transfer_files')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull().check(sql`idx >= 0`))
        .addColumn('ciphertext_size', 'bigint', (c) => c.notNull().check(sql`ciphertext_size >= 0`))
        .addColumn('part_count', 'integer', (c) => c.notNull().check(sql`part_count > 0`))
        .addUniqueConstraint('transfer_files_transfer_id_idx', ['transfer_id', 'idx'])
        .execute();

      await db.schema
        .createTable('parts')
        .addColumn('file_id', 'text', (c) => c.notNull().references('transfer_files.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull().check(sql`idx >= 0`))
        .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id').onDelete('cascade'))
        .addColumn('blob_key', 'text', (c) => c.notNull().unique())
        .addColumn('size', 'bigint', (c) => c.notNull().check(sql`size >= 0`))
        .addColumn('sha256', blob, (c) => c.notNull())
        .addColumn('uploaded_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('parts_pk', ['file_id', 'idx'])
        .execute();
      await db.schema.createIndex('parts_transfer_id').on('parts').column('transfer_id').execute();

      await db.schema
        .createTable('recipients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id').onDelete('cascade'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        // When this recipient's client first confirmed a complete, verified download (it ends the grant).
        .addColumn('downloaded_at', ms)
        // When the sender was e-mailed about that download (the notification job's outbox marker).
        .addColumn('download_notified_at', ms)
        .addUniqueConstraint('recipients_transfer_id_email', ['transfer_id', 'email'])
        .addCheckConstraint('recipients_email_lowercase', sql`email = lower(email)`)
        .execute();
      // The notification job's queue: only rows owed a mail are indexed, so it stays cheap as recipients pile up.
      await db.schema.createIndex('recipients_download_unnotified').on('recipients').column('id')
        .where(sql<boolean>`downloaded_at is not null and download_notified_at is null`).execute();

      await db.schema
        .createTable('link_challenges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id').onDelete('cascade'))
        .addColumn('nonce', blob, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('used_at', ms)
        .execute();
      await db.schema.createIndex('link_challenges_transfer_id').on('link_challenges').column('transfer_id').execute();

      await db.schema
        .createTable('openings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id').onDelete('cascade'))
        // null for a decoy: the address asked for is not a recipient (same answer, no mail, never a grant).
        .addColumn('recipient_id', 'text', (c) => c.references('recipients.id').onDelete('cascade'))
        // The address asked for, recipient or not: code requests are rate-limited per (transfer, address).
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('token_hash', blob, (c) => c.notNull().unique())
        .addColumn('code_hash', blob, (c) => c.notNull())
        .addColumn('code_expires_at', ms, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('completed_at', ms)
        .addCheckConstraint('openings_email_lowercase', sql`email = lower(email)`)
        .execute();
      // The rate limits count a transfer's recent openings (per address too).
      await db.schema.createIndex('openings_transfer_id_created_at').on('openings').columns(['transfer_id', 'created_at']).execute();
      await db.schema.createIndex('openings_recipient_id').on('openings').column('recipient_id').execute();

      await db.schema
        .createTable('grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id').onDelete('cascade'))
        .addColumn('recipient_id', 'text', (c) => c.references('recipients.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.references('users.id'))
        .addColumn('token_hash', blob, (c) => c.notNull().unique())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        // A grant is always bound to someone: an outside recipient or a member.
        .addCheckConstraint('grants_bound', sql`recipient_id is not null or user_id is not null`)
        .execute();
      // Member slots (docs/format.md §12.1): CK sealed to a member's certified key, one per member and transfer. A
      // recipient's slot names its recipient row; the sender's own slot (the self slot) has none. Deleted by the purge.
      await db.schema
        .createTable('member_slots')
        .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id').onDelete('cascade'))
        .addColumn('slot_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('recipient_id', 'text', (c) => c.references('recipients.id').onDelete('cascade'))
        // The key the slot was sealed to: the member's certified fingerprint when the transfer was finalized.
        .addColumn('fingerprint', blob, (c) => c.notNull().check(sql`length(fingerprint) = 32`))
        // HPKE enc ‖ ct: 80 bytes (X25519) or 113 (P-256).
        .addColumn('wrapped', blob, (c) => c.notNull().check(sql`length(wrapped) in (80, 113)`))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('member_slots_pk', ['transfer_id', 'slot_id'])
        .addUniqueConstraint('member_slots_transfer_id_user_id', ['transfer_id', 'user_id'])
        .execute();
      // The inbox: a member's slots, newest transfers first.
      await db.schema.createIndex('member_slots_user_id').on('member_slots').columns(['user_id', 'transfer_id']).execute();
      await db.schema.createIndex('member_slots_recipient_id').on('member_slots').column('recipient_id').execute();

      await db.schema.createIndex('grants_transfer_id').on('grants').column('transfer_id').execute();
      await db.schema.createIndex('grants_recipient_id').on('grants').column('recipient_id').execute();

      await db.schema
        .createTable('access_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id').onDelete('cascade'))
        .addColumn('recipient_id', 'text', (c) => c.references('recipients.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.references('users.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('access_events_transfer_id_at').on('access_events').columns(['transfer_id', 'at']).execute();
      await db.schema.createIndex('access_events_recipient_id').on('access_events').column('recipient_id').execute();

      // Legal holds: while one is active (released_at null) the transfer is never purged, though never served past
      // its expiry either. Rows are kept after release: the history of holds is evidence too.
      await db.schema
        .createTable('legal_holds')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id'))
        .addColumn('reason', 'text', (c) => c.notNull().check(sql`length(reason) > 0`))
        .addColumn('placed_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('placed_at', ms, (c) => c.notNull())
        .addColumn('released_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('released_at', ms)
        .addColumn('release_reason', 'text')
        .execute();
      await db.schema.createIndex('legal_holds_transfer_id').on('legal_holds').columns(['transfer_id', 'released_at']).execute();

      // The evidence of each purge: written before the part rows (and their recorded SHA-256) are deleted.
      await db.schema
        .createTable('deletion_records')
        .addColumn('transfer_id', 'text', (c) => c.primaryKey().references('transfers.id'))
        // null for a deposit (no member sent it): its box's owners are told instead.
        .addColumn('sender_id', 'text', (c) => c.references('users.id'))
        .addColumn('data_class', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('deadline_at', ms, (c) => c.notNull())
        .addColumn('purged_at', ms, (c) => c.notNull())
        .addColumn('lag_ms', 'bigint', (c) => c.notNull())
        .addColumn('blob_count', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        // JSON: [{ file, index, blobKey, size, sha256 (base64url, as recorded at upload), goneAt (stat after delete) }]
        .addColumn('parts', 'text', (c) => c.notNull())
        // When the sender was e-mailed this record.
        .addColumn('notified_at', ms)
        .execute();
      await db.schema.createIndex('deletion_records_purged_at').on('deletion_records').column('purged_at').execute();
      // Records not yet mailed to their sender (the notification job's queue).
      await db.schema.createIndex('deletion_records_unnotified').on('deletion_records').column('transfer_id').where(sql<boolean>`notified_at is null`).execute();

      // One row per purge run that did work or found nothing (not per skipped turn): the report's "last run".
      await db.schema
        .createTable('purge_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance', 'text', (c) => c.notNull())
        .addColumn('started_at', ms, (c) => c.notNull())
        .addColumn('finished_at', ms)
        .addColumn('closed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('purged', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('purge_runs_started_at').on('purge_runs').column('started_at').execute();

      // Member keys (docs/format.md §11): the public record exactly as the member's client sent it (canonical JSON, the
      // bytes its fingerprint names), the private key bundle sealed under the account key UK, and the organisation's
      // certificate once an administrator has signed the record. The server never decrypts any of it.
      await db.schema
        .createTable('member_keys')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('record', 'text', (c) => c.notNull().check(sql`length(record) between 2 and 1024`))
        .addColumn('fingerprint', blob, (c) => c.notNull().unique().check(sql`length(fingerprint) = 32`))
        .addColumn('key_bundle', blob, (c) => c.notNull().check(sql`length(key_bundle) between 1 and 65536`))
        .addColumn('certificate', blob, (c) => c.check(sql`length(certificate) = 64`))
        .addColumn('certified_at', ms)
        .addColumn('created_at', ms, (c) => c.notNull())
        .addCheckConstraint('member_keys_certified_together', sql`(certificate is null) = (certified_at is null)`)
        .execute();

      // Wraps of a member's account key UK, one per unlock method (§11.5); the id is the client-made wrapId.
      await db.schema
        .createTable('unlock_wraps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('passphrase', 'recovery', 'passkey')`))
        // JSON {"m","t","p","salt"}: passphrase wraps only.
        .addColumn('argon2', 'text')
        // base64url WebAuthn credential id: passkey wraps only.
        .addColumn('credential_id', 'text')
        .addColumn('wrapped', blob, (c) => c.notNull().check(sql`length(wrapped) = 104`))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addCheckConstraint('unlock_wraps_argon2_iff_passphrase', sql`(kind = 'passphrase') = (argon2 is not null)`)
        .addCheckConstraint('unlock_wraps_credential_iff_passkey', sql`(kind = 'passkey') = (credential_id is not null)`)
        .execute();
      await db.schema.createIndex('unlock_wraps_user_id').on('unlock_wraps').column('user_id').execute();
      // At most one passphrase and one recovery wrap per member (passkeys may be several).
      await db.schema.createIndex('unlock_wraps_one_per_kind').on('unlock_wraps').columns(['user_id', 'kind']).unique()
        .where(sql<boolean>`kind in ('passphrase', 'recovery')`).execute();

      // seq is made by the database; the hash chain, not seq, is what proves nothing was removed or changed.
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', dialect === 'postgres' ? 'bigint' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
        )
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('actor', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('detail', 'text')
        .addColumn('prev_hash', blob, (c) => c.notNull())
        .addColumn('hash', blob, (c) => c.notNull().unique())
        .addCheckConstraint('audit_log_hash_sizes', sql`length(prev_hash) = 32 and length(hash) = 32`)
        .execute();
    },

    async down(db: Kysely<any>) {
      for (const table of [
        'unlock_wraps', 'member_keys', 'purge_runs', 'deletion_records', 'legal_holds', 'audit_log', 'access_events', 'member_slots', 'grants', 'openings', 'link_challenges', 'recipients', 'parts',
        'transfer_files', 'deposit_tokens', 'box_openings', 'transfers', 'drop_box_owner_keys', 'drop_box_keys', 'drop_boxes', 'data_classes', 'login_throttle', 'sessions', 'enrollments', 'users',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
