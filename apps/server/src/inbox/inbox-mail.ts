// The e-mail telling a member that a transfer waits in their inbox. It carries no secret and no file name (the server
// knows none): who sent it, how many files, until when, and where the inbox is. The files open only there, signed in.
import type { MailMessage } from '../mail/mailer.js';

export interface InboxMailInput {
  readonly to: string;
  readonly senderEmail: string;
  readonly fileCount: number;
  /** When the transfer expires (ms since the epoch). */
  readonly transferExpiresAt: number;
  /** `${publicUrl}/inbox`. */
  readonly inboxUrl: string;
}

export function inboxMail(input: InboxMailInput): MailMessage {
  const files = input.fileCount === 1 ? '1 file' : `${input.fileCount} files`;
  return {
    to: input.to,
    subject: `Valise: ${input.senderEmail} sent you ${files}`,
    text: [
      'Hello,',
      '',
      `${input.senderEmail} sent you ${files} with Valise. They wait in your Valise inbox until ${utcTime(input.transferExpiresAt)}:`,
      '',
      input.inboxUrl,
      '',
      'Sign in to open them: they were encrypted for your key, and only your keys can open them.',
      '',
      '— Valise',
      '',
    ].join('\n'),
  };
}

/** "2030-01-08 10:00 UTC": unambiguous in any country, readable without a locale. */
function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
