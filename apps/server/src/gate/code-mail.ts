// The e-mail that carries a one-time code. It never carries the link: a mailbox alone must not open the files.
import { LIMITS } from '@valise/protocol';

export interface CodeMailInput {
  readonly to: string;
  readonly code: string;
  readonly senderEmail: string;
  /** When the transfer expires (ms since the epoch). */
  readonly transferExpiresAt: number;
}

export interface CodeMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export function codeMail(input: CodeMailInput): CodeMail {
  const minutes = Math.round(LIMITS.codeLifetimeMs / 60_000);
  return {
    to: input.to,
    subject: `Your Valise code for files from ${input.senderEmail}`,
    text: [
      'Hello,',
      '',
      `Your code is: ${input.code}`,
      '',
      `Type it on the page where you asked for it. It is valid for ${minutes} minutes and can be used once.`,
      '',
      `The files were sent to you by ${input.senderEmail} with Valise. They are available until ${utcTime(input.transferExpiresAt)}.`,
      '',
      'If you did not ask for this code, ignore this message: nobody can open the files with the code alone.',
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
