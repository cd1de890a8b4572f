// The e-mails of drop boxes: the depositor's code, the depositor's receipt, and the owners' notice of a deposit. None
// carries a secret or a file name (the server knows none); the depositor's typed name is shown as theirs, unverified.
import { plaintextSizeOf } from '@valise/crypto';
import { LIMITS, type DepositReceipt } from '@valise/protocol';
import type { MailMessage } from '../mail/mailer.js';

export function depositCodeMail(input: { readonly to: string; readonly code: string; readonly boxName: string }): MailMessage {
  const minutes = Math.round(LIMITS.codeLifetimeMs / 60_000);
  return {
    to: input.to,
    subject: `Your Valise code to send files to "${input.boxName}"`,
    text: [
      'Hello,',
      '',
      `Your code is: ${input.code}`,
      '',
      `Type it on the page where you asked for it, to send files to the drop box "${input.boxName}". It is valid for`,
      `${minutes} minutes and can be used once.`,
      '',
      'If you did not ask for this code, ignore this message: nothing is sent with the code alone.',
      '',
      '— Valise',
      '',
    ].join('\n'),
  };
}

/** The depositor's receipt: what the server stored, when; sizes and hashes only (it has no file name). */
export function depositReceiptMail(receipt: DepositReceipt): MailMessage {
  return {
    to: receipt.depositorEmail,
    subject: `Valise: your files were delivered to "${receipt.boxName}"`,
    text: [
      'Hello,',
      '',
      `Your files were delivered, encrypted, to the drop box "${receipt.boxName}". Only its owners can open them; you`,
      'cannot open them again, and neither can the server. This is your receipt.',
      '',
      `  Deposit:    ${receipt.transferId}`,
      `  Drop box:   ${receipt.boxId}`,
      `  Delivered:  ${second(receipt.depositedAt)}`,
      `  Kept until: ${minute(receipt.expiresAt)} (then deleted)`,
      `  Files:      ${receipt.files.length}`,
      `  Manifest:   SHA-256 ${hex(receipt.manifestSha256)} (encrypted)`,
      '',
      ...receipt.files.map((f, i) =>
        `  file ${i + 1}: ${plaintextSizeOf(f.ciphertextSize).toLocaleString('en-US')} bytes (${f.ciphertextSize.toLocaleString('en-US')} encrypted), ` +
        `${f.partSha256.length} part${f.partSha256.length === 1 ? '' : 's'}, SHA-256 of part 1: ${hex(f.partSha256[0] ?? '')}`),
      '',
      'The names of your files are encrypted with them: the server never saw them, so they are not listed here.',
      '',
      '— Valise',
      '',
    ].join('\n'),
  };
}

export interface DepositNoticeInput {
  readonly to: string;
  readonly boxName: string;
  readonly depositorEmail: string;
  readonly depositorName: string;
  readonly fileCount: number;
  readonly expiresAt: number;
  /** `${publicUrl}/inbox`. */
  readonly inboxUrl: string;
}

/** To each owner: a deposit waits in their inbox, from an unverified sender whose address was checked by a code. */
export function depositNoticeMail(input: DepositNoticeInput): MailMessage {
  const files = input.fileCount === 1 ? '1 file' : `${input.fileCount} files`;
  return {
    to: input.to,
    subject: `Valise: ${files} deposited in your drop box "${input.boxName}"`,
    text: [
      'Hello,',
      '',
      `${files} were deposited in your drop box "${input.boxName}". They wait in your Valise inbox until`,
      `${minute(input.expiresAt)}:`,
      '',
      input.inboxUrl,
      '',
      'The sender is not verified: anyone with the link of the box can deposit. Valise only checked, by a code sent',
      `there, that they can read mail sent to ${input.depositorEmail}. The name they gave is "${input.depositorName}".`,
      '',
      'Sign in to open the files: they were encrypted for the keys of the box, which only its owners hold.',
      '',
      '— Valise',
      '',
    ].join('\n'),
  };
}

function second(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function minute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function hex(base64url: string): string {
  return Buffer.from(base64url, 'base64url').toString('hex');
}
