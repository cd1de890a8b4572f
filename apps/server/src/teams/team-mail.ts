// The e-mails telling a team's members that something waits for the team (a transfer sent to it, a deposit into one of
// its drop boxes) or that they joined a team. No secret and no file name (the server knows none): who, how many files,
// until when, and where the inbox is. Sent after the answer, never awaited.
import type { BackgroundMailer } from '../mail/background-mailer.js';
import type { MailMessage } from '../mail/mailer.js';

/** What other domains tell team members through. */
export interface TeamNotices {
  transferSent(facts: { readonly transferId: string; readonly senderEmail: string; readonly teamName: string; readonly recipients: readonly string[]; readonly fileCount: number; readonly expiresAt: number }): void;
  depositMade(facts: { readonly transferId: string; readonly boxName: string; readonly teamName: string; readonly depositorEmail: string; readonly recipients: readonly string[]; readonly fileCount: number; readonly expiresAt: number }): void;
  memberAdded(facts: { readonly to: string; readonly teamName: string; readonly addedBy: string }): void;
}

const filesOf = (n: number) => (n === 1 ? '1 file' : `${n} files`);

/** "2030-01-08 10:00 UTC": unambiguous in any country, readable without a locale. */
function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function teamTransferMail(input: { to: string; senderEmail: string; teamName: string; fileCount: number; expiresAt: number; inboxUrl: string }): MailMessage {
  const files = filesOf(input.fileCount);
  return {
    to: input.to,
    subject: `Valise: ${input.senderEmail} sent ${files} to the team "${input.teamName}"`,
    text: [
      'Hello,',
      '',
      `${input.senderEmail} sent ${files} to your team "${input.teamName}" with Valise. They wait in your Valise inbox until`,
      `${utcTime(input.expiresAt)}:`,
      '',
      input.inboxUrl,
      '',
      'Sign in to open them: they were encrypted for the team\'s key, which only its members hold.',
      '',
      '— Valise',
      '',
    ].join('\n'),
  };
}

export function teamDepositMail(input: { to: string; boxName: string; teamName: string; depositorEmail: string; fileCount: number; expiresAt: number; inboxUrl: string }): MailMessage {
  const files = filesOf(input.fileCount);
  return {
    to: input.to,
    subject: `Valise: ${files} deposited in the drop box "${input.boxName}" of the team "${input.teamName}"`,
    text: [
      'Hello,',
      '',
      `${files} were deposited in the drop box "${input.boxName}" of your team "${input.teamName}". They wait in your`,
      `Valise inbox until ${utcTime(input.expiresAt)}:`,
      '',
      input.inboxUrl,
      '',
      'The sender is not verified: anyone with the link of the box can deposit. Valise only checked, by a code sent',
      `there, that they can read mail sent to ${input.depositorEmail}.`,
      '',
      '— Valise',
      '',
    ].join('\n'),
  };
}

export function teamMemberAddedMail(input: { to: string; teamName: string; addedBy: string; teamsUrl: string }): MailMessage {
  return {
    to: input.to,
    subject: `Valise: you are now a member of the team "${input.teamName}"`,
    text: [
      'Hello,',
      '',
      `${input.addedBy} added you to the team "${input.teamName}" on Valise. What is sent to the team, and deposited in its`,
      'drop boxes, now reaches your inbox too:',
      '',
      input.teamsUrl,
      '',
      '— Valise',
      '',
    ].join('\n'),
  };
}

export class TeamNotifier implements TeamNotices {
  readonly #mailLater: BackgroundMailer;
  readonly #publicUrl: string;

  constructor(deps: { readonly mailLater: BackgroundMailer; readonly publicUrl: string }) {
    this.#mailLater = deps.mailLater;
    this.#publicUrl = deps.publicUrl;
  }

  transferSent(facts: Parameters<TeamNotices['transferSent']>[0]): void {
    this.#mailLater.send(facts.recipients.map((to) => teamTransferMail({
      to, senderEmail: facts.senderEmail, teamName: facts.teamName, fileCount: facts.fileCount, expiresAt: facts.expiresAt, inboxUrl: `${this.#publicUrl}/inbox`,
    })), { transferId: facts.transferId });
  }

  depositMade(facts: Parameters<TeamNotices['depositMade']>[0]): void {
    this.#mailLater.send(facts.recipients.map((to) => teamDepositMail({
      to, boxName: facts.boxName, teamName: facts.teamName, depositorEmail: facts.depositorEmail, fileCount: facts.fileCount, expiresAt: facts.expiresAt,
      inboxUrl: `${this.#publicUrl}/inbox`,
    })), { transferId: facts.transferId });
  }

  memberAdded(facts: Parameters<TeamNotices['memberAdded']>[0]): void {
    this.#mailLater.send([teamMemberAddedMail({ ...facts, teamsUrl: `${this.#publicUrl}/teams` })], {});
  }
}
