// Tells the member recipients of a finalized transfer that it waits in their inbox, after finalize answered.
import type { BackgroundMailer } from '../mail/background-mailer.js';
import type { InboxNotices } from '../transfers/transfer.service.js';
import { inboxMail } from './inbox-mail.js';

export interface InboxNoticeDeps {
  readonly mailLater: BackgroundMailer;
  /** Without a trailing slash. */
  readonly publicUrl: string;
}

export class InboxNotifier implements InboxNotices {
  readonly #deps: InboxNoticeDeps;

  constructor(deps: InboxNoticeDeps) {
    this.#deps = deps;
  }

  addressed(facts: Parameters<InboxNotices['addressed']>[0]): void {
    const { mailLater, publicUrl } = this.#deps;
    mailLater.send(facts.recipients.map((to) => inboxMail({
      to, senderEmail: facts.senderEmail, fileCount: facts.fileCount, transferExpiresAt: facts.expiresAt, inboxUrl: `${publicUrl}/inbox`,
    })), { transferId: facts.transferId });
  }
}
