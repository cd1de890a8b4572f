// The e-mails the sender of a transfer receives: a recipient downloaded, the transfer is about to expire unopened,
// the transfer was purged (with its deletion record). They name the transfer by id, date and recipients only:
// never the link (a mailbox alone must not open the files), never names (the server cannot know them), no secret.
// A deposit into a drop box has no sender: its box's owners (a team's box: the team's current members) get the expiry
// warning and the deletion record instead (and no download notice: they are the ones who download).
import type { MailMessage } from '../mail/mailer.js';
import type { DeletionFacts } from '../retention/deletion-record.repository.js';

/** The transfer as every notice describes it. */
export interface TransferFacts {
  readonly transferId: string;
  /** Who this notice goes to: the sender, or one of a deposit's owners. */
  readonly to: string;
  readonly sentAt: number;
  readonly recipients: ReadonlyArray<{ readonly email: string; readonly downloadedAt: number | null }>;
  /** Teams it was sent to, each one recipient (listed after the addresses). */
  readonly teams: ReadonlyArray<{ readonly name: string; readonly downloadedAt: number | null }>;
  /** A deposit: into which box, from which (verified, not vouched for) address; the team owning the box, if one does. */
  readonly deposit: { readonly boxName: string; readonly depositorEmail: string; readonly team: { readonly name: string } | null } | null;
}

export function downloadedMail(t: TransferFacts, d: { readonly recipient: string; readonly downloadedAt: number; readonly expiresAt: number | null; readonly live: boolean }): MailMessage {
  return {
    to: t.to,
    subject: `Valise: ${d.recipient} downloaded your files of ${day(t.sentAt)}`,
    text: lines([
      'Hello,',
      '',
      `${d.recipient} has downloaded the files you sent with Valise on ${minute(t.sentAt)}.`,
      '',
      ...table([
        ['Transfer', t.transferId],
        ['Downloaded', second(d.downloadedAt)],
        ['Recipients', recipientList(t, true)],
        ...(d.live && d.expiresAt !== null ? [['Link works until', minute(d.expiresAt)] as const] : []),
      ]),
      '',
      'You receive one such message per recipient (a team counts as one). Valise never sees the names or contents of your files, so it',
      'cannot name them here.',
      ...SIGNATURE,
    ]),
  };
}

export function expiryWarningMail(t: TransferFacts, w: { readonly expiresAt: number; readonly now: number }): MailMessage {
  if (t.deposit !== null) return depositExpiryWarningMail(t, t.deposit, w);
  return {
    to: t.to,
    subject: `Valise: your files of ${day(t.sentAt)} expire ${inAbout(w.expiresAt - w.now)}, not downloaded yet`,
    text: lines([
      'Hello,',
      '',
      `Nobody has downloaded the files you sent with Valise on ${minute(t.sentAt)} yet, and the link stops working`,
      `${inAbout(w.expiresAt - w.now)}.`,
      '',
      ...table([
        ['Transfer', t.transferId],
        ['Recipients', recipientList(t, false)],
        ['Link works until', minute(w.expiresAt)],
      ]),
      '',
      'After that the files are deleted for good. If they are still needed, remind the recipients, or send the files',
      'again. You are told this once per transfer.',
      ...SIGNATURE,
    ]),
  };
}

/** Parts listed one per line; beyond, the message says how many more the server's record holds. */
export const MAX_LISTED_PARTS = 1000;

export function purgedMail(t: TransferFacts, r: DeletionFacts): MailMessage {
  if (t.deposit !== null) return depositPurgedMail(t, t.deposit, r);
  const listed = r.parts.slice(0, MAX_LISTED_PARTS);
  return {
    to: t.to,
    subject: `Valise: your files of ${day(t.sentAt)} were deleted`,
    text: lines([
      'Hello,',
      '',
      `The files you sent with Valise on ${minute(t.sentAt)} have been deleted from the server. This is the`,
      'deletion record.',
      '',
      ...table([
        ['Transfer', t.transferId],
        ['Recipients', recipientList(t, true)],
        ['Data class', r.dataClass],
        ['Reason', REASONS[r.reason] ?? r.reason],
        ['Deadline', second(r.deadlineAt)],
        ['Deleted', second(r.purgedAt)],
        ['Delay', `${duration(r.lagMs)} after the deadline`],
        ['Stored parts', `${r.blobCount} (${r.bytes.toLocaleString('en-US')} bytes, encrypted)`],
      ]),
      '',
      'The keys that could decrypt the files were destroyed first. Then each stored part was deleted, and the storage',
      'answered that it no longer exists. Each part, with the SHA-256 of its encrypted bytes recorded at upload:',
      '',
      ...listed.map((p) => `  file ${p.file + 1}, part ${p.index + 1}: ${p.size.toLocaleString('en-US')} bytes, SHA-256 ${hex(p.sha256)}, gone at ${second(p.goneAt)}`),
      ...(r.parts.length > listed.length ? [`  … and ${r.parts.length - listed.length} more parts, kept in the server's record.`] : []),
      ...SIGNATURE,
    ]),
  };
}

function depositExpiryWarningMail(t: TransferFacts, d: NonNullable<TransferFacts['deposit']>, w: { readonly expiresAt: number; readonly now: number }): MailMessage {
  return {
    to: t.to,
    subject: `Valise: a deposit in your drop box "${d.boxName}" expires ${inAbout(w.expiresAt - w.now)}, not downloaded yet`,
    text: lines([
      'Hello,',
      '',
      `Nobody has downloaded the files deposited in your drop box "${d.boxName}" on ${minute(t.sentAt)} yet. They are`,
      `deleted ${inAbout(w.expiresAt - w.now)}.`,
      '',
      ...table([
        ['Deposit', t.transferId],
        ['Depositor', `${d.depositorEmail} (address checked by a code; not otherwise verified)`],
        ['Owners', d.team === null ? recipientList(t, false) : `the team "${d.team.name}"`],
        ['Available until', minute(w.expiresAt)],
      ]),
      '',
      'Open it from your Valise inbox before then if it is needed. You are told this once per deposit.',
      ...SIGNATURE,
    ]),
  };
}

function depositPurgedMail(t: TransferFacts, d: NonNullable<TransferFacts['deposit']>, r: DeletionFacts): MailMessage {
  const listed = r.parts.slice(0, MAX_LISTED_PARTS);
  return {
    to: t.to,
    subject: `Valise: a deposit of ${day(t.sentAt)} in your drop box "${d.boxName}" was deleted`,
    text: lines([
      'Hello,',
      '',
      `The files deposited in your drop box "${d.boxName}" on ${minute(t.sentAt)} have been deleted from the server.`,
      'This is the deletion record.',
      '',
      ...table([
        ['Deposit', t.transferId],
        ['Depositor', `${d.depositorEmail} (address checked by a code; not otherwise verified)`],
        ['Owners', d.team === null ? recipientList(t, true) : `the team "${d.team.name}"`],
        ['Data class', r.dataClass],
        ['Reason', DEPOSIT_REASONS[r.reason] ?? REASONS[r.reason] ?? r.reason],
        ['Deadline', second(r.deadlineAt)],
        ['Deleted', second(r.purgedAt)],
        ['Delay', `${duration(r.lagMs)} after the deadline`],
        ['Stored parts', `${r.blobCount} (${r.bytes.toLocaleString('en-US')} bytes, encrypted)`],
      ]),
      '',
      'The keys that could decrypt the files were destroyed first. Then each stored part was deleted, and the storage',
      'answered that it no longer exists. Each part, with the SHA-256 of its encrypted bytes recorded at upload:',
      '',
      ...listed.map((p) => `  file ${p.file + 1}, part ${p.index + 1}: ${p.size.toLocaleString('en-US')} bytes, SHA-256 ${hex(p.sha256)}, gone at ${second(p.goneAt)}`),
      ...(r.parts.length > listed.length ? [`  … and ${r.parts.length - listed.length} more parts, kept in the server's record.`] : []),
      ...SIGNATURE,
    ]),
  };
}

const DEPOSIT_REASONS: Readonly<Record<string, string>> = {
  expired: 'expired (the data class\'s time was up)',
  abandoned: 'the depositor never finished the upload (or the box closed or expired first)',
  downloaded: 'every owner downloaded (the data class deletes then)',
};

const REASONS: Readonly<Record<string, string>> = {
  expired: 'expired (the link\'s time was up)',
  exhausted: 'every allowed download was used',
  revoked: 'revoked by you',
  abandoned: 'the upload was never finished',
  downloaded: 'every recipient downloaded (the data class deletes then)',
};

const SIGNATURE = ['', '— Valise', ''];

function recipientList(t: TransferFacts, withDownloads: boolean): string {
  const named = [...t.recipients.map((r) => ({ ...r, label: r.email })), ...t.teams.map((team) => ({ ...team, label: `the team "${team.name}"` }))];
  return named.map((r) => (withDownloads ? `${r.label} (${r.downloadedAt === null ? 'not downloaded' : 'downloaded'})` : r.label)).join(', ');
}

function table(rows: ReadonlyArray<readonly [string, string]>): string[] {
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)}  ${v}`);
}

function lines(all: readonly string[]): string {
  return all.join('\n');
}

/** Dates in UTC: unambiguous in any country, readable without a locale. */
function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function minute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function second(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

function inAbout(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  if (hours >= 48) return `in about ${Math.round(hours / 24)} days`;
  if (hours >= 2) return `in about ${hours} hours`;
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return minutes >= 90 ? 'in about 2 hours' : `in about ${minutes} minute${minutes === 1 ? '' : 's'}`;
}

function hex(base64url: string): string {
  return Buffer.from(base64url, 'base64url').toString('hex');
}
