// Migration 002: team mailboxes (docs/format.md §13.5). The certified team record, its signed epoch keys, one sealed
// copy of the team keys per member, boxes a team owns (their keys sealed to a team key instead of a member's), and
// the team slots of transfers sent to a team. The server opens none of the sealed bytes.
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.js';

export function teams(dialect: Dialect): Migration {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  const ms = 'bigint';

  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('teams')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // The signed record's name, copied for lists, mails and the lookup by name.
        .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
        // lower(NFC(name)), made by the application (SQLite's lower() folds ASCII only): names are unique whatever the case.
        .addColumn('name_key', 'text', (c) => c.notNull().unique())
        // The canonical JSON exactly as the first member's client sent it (its fingerprint names those bytes).
        .addColumn('record', 'text', (c) => c.notNull().check(sql`length(record) between 2 and 2000`))
        .addColumn('fingerprint', blob, (c) => c.notNull().unique().check(sql`length(fingerprint) = 32`))
        .addColumn('certificate', blob, (c) => c.check(sql`length(certificate) = 64`))
        .addColumn('certified_at', ms)
        .addColumn('certified_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ms, (c) => c.notNull())
        // The newest epoch: what team slots and team boxes' keys are sealed to now.
        .addColumn('current_epoch', 'integer', (c) => c.notNull().check(sql`current_epoch >= 1`))
        .addCheckConstraint('teams_certified_together', sql`(certificate is null) = (certified_at is null)`)
        .execute();

      // Each epoch's team key record (canonical JSON) and its signature by the team signing key.
      await db.schema
        .createTable('team_keys')
        .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
        .addColumn('epoch', 'integer', (c) => c.notNull().check(sql`epoch >= 1`))
        .addColumn('record', 'text', (c) => c.notNull().check(sql`length(record) between 2 and 1000`))
        .addColumn('signature', blob, (c) => c.notNull().check(sql`length(signature) = 64`))
        .addColumn('fingerprint', blob, (c) => c.notNull().check(sql`length(fingerprint) = 32`))
        .addColumn('kem', 'text', (c) => c.notNull().check(sql`kem in ('X25519', 'P-256')`))
        .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('team_keys_pk', ['team_id', 'epoch'])
        .execute();

      // The members, each with the team keys sealed to their certified member key (up to `epoch`).
      await db.schema
        .createTable('team_members')
        .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('epoch', 'integer', (c) => c.notNull().check(sql`epoch >= 1`))
        // The member key fingerprint the bundle was sealed to.
        .addColumn('fingerprint', blob, (c) => c.notNull().check(sql`length(fingerprint) = 32`))
        .addColumn('bundle', blob, (c) => c.notNull().check(sql`length(bundle) between 1 and 65536`))
        .addColumn('added_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('added_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
        .execute();
      await db.schema.createIndex('team_members_user_id').on('team_members').columns(['user_id', 'team_id']).execute();

      // A box a team owns: every current member is an owner (the creator's quota still carries its deposits). No
      // REFERENCES here: SQLite could not drop such a column again (down), and teams are never deleted.
      await db.schema.alterTable('drop_boxes').addColumn('owner_team_id', 'text').execute();
      await db.schema.createIndex('drop_boxes_owner_team_id').on('drop_boxes').column('owner_team_id').execute();

      // The owners' sealed box keys, now to a member (user_id) or to a team's key of one epoch (team_id, team_epoch).
      // Its primary key held user_id: the table is made anew (SQLite cannot change a column's constraints).
      await db.schema
        .createTable('drop_box_owner_keys_002')
        .addColumn('box_id', 'text', (c) => c.notNull().references('drop_boxes.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.references('users.id'))
        .addColumn('team_id', 'text', (c) => c.references('teams.id'))
        .addColumn('team_epoch', 'integer', (c) => c.check(sql`team_epoch >= 1`))
        .addColumn('fingerprint', blob, (c) => c.notNull().check(sql`length(fingerprint) = 32`))
        .addColumn('sealed', blob, (c) => c.notNull().check(sql`length(sealed) between 1 and 65536`))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addCheckConstraint('drop_box_owner_keys_member_or_team', sql`(user_id is null) <> (team_id is null) and (team_id is null) = (team_epoch is null)`)
        .addUniqueConstraint('drop_box_owner_keys_box_user', ['box_id', 'user_id'])
        .addUniqueConstraint('drop_box_owner_keys_box_team_epoch', ['box_id', 'team_id', 'team_epoch'])
        .execute();
      await sql`insert into drop_box_owner_keys_002 (box_id, user_id, team_id, team_epoch, fingerprint, sealed, created_at)
        select box_id, user_id, null, null, fingerprint, sealed, created_at from drop_box_owner_keys`.execute(db);
      await db.schema.dropTable('drop_box_owner_keys').execute();
      await db.schema.alterTable('drop_box_owner_keys_002').renameTo('drop_box_owner_keys').execute();
      await db.schema.createIndex('drop_box_owner_keys_user_id').on('drop_box_owner_keys').columns(['user_id', 'box_id']).execute();

      // The teams a transfer is sent to (named at creation) and, from finalize, each one's team slot: CK sealed to the
      // team key of `epoch`. The purge destroys `wrapped`, like member slots. A deposit into a team's box names the
      // team too, without a slot (its box slot opens it). `downloaded_at`: the team as one recipient, set when a member
      // first confirms a download, so "deleted once every recipient has downloaded" counts the team.
      await db.schema
        .createTable('transfer_teams')
        .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.id').onDelete('cascade'))
        .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id'))
        .addColumn('slot_id', 'text')
        .addColumn('epoch', 'integer', (c) => c.check(sql`epoch >= 1`))
        .addColumn('fingerprint', blob, (c) => c.check(sql`length(fingerprint) = 32`))
        .addColumn('wrapped', blob, (c) => c.check(sql`length(wrapped) in (80, 113)`))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('downloaded_at', ms)
        // When the sender was told the team downloaded (null: not yet, or not owed).
        .addColumn('download_notified_at', ms)
        .addPrimaryKeyConstraint('transfer_teams_pk', ['transfer_id', 'team_id'])
        .addCheckConstraint('transfer_teams_slot_together', sql`(slot_id is null) = (epoch is null) and (slot_id is null) = (fingerprint is null)`)
        .addCheckConstraint('transfer_teams_wrapped_with_slot', sql`wrapped is null or slot_id is not null`)
        .execute();
      await db.schema.createIndex('transfer_teams_team_id').on('transfer_teams').columns(['team_id', 'transfer_id']).execute();
      // The team a member's grant came through (null for a recipient's or the sender's): completing it marks the team.
      // No REFERENCES, as for owner_team_id above.
      await db.schema.alterTable('grants').addColumn('team_id', 'text').execute();
    },

    async down(db: Kysely<any>) {
      await db.schema.alterTable('grants').dropColumn('team_id').execute();
      await db.schema.dropTable('transfer_teams').execute();
      await db.deleteFrom('drop_box_owner_keys').where('user_id', 'is', null).execute();
      await db.schema
        .createTable('drop_box_owner_keys_001')
        .addColumn('box_id', 'text', (c) => c.notNull().references('drop_boxes.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('fingerprint', blob, (c) => c.notNull().check(sql`length(fingerprint) = 32`))
        .addColumn('sealed', blob, (c) => c.notNull().check(sql`length(sealed) between 1 and 65536`))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('drop_box_owner_keys_pk', ['box_id', 'user_id'])
        .execute();
      await sql`insert into drop_box_owner_keys_001 (box_id, user_id, fingerprint, sealed, created_at)
        select box_id, user_id, fingerprint, sealed, created_at from drop_box_owner_keys`.execute(db);
      await db.schema.dropTable('drop_box_owner_keys').execute();
      await db.schema.alterTable('drop_box_owner_keys_001').renameTo('drop_box_owner_keys').execute();
      await db.schema.createIndex('drop_box_owner_keys_user_id').on('drop_box_owner_keys').columns(['user_id', 'box_id']).execute();
      await db.schema.dropIndex('drop_boxes_owner_team_id').execute();
      await db.schema.alterTable('drop_boxes').dropColumn('owner_team_id').execute();
      for (const table of ['team_members', 'team_keys', 'teams']) await db.schema.dropTable(table).execute();
    },
  };
}
