// Sends the inbox e-mails of a finalized transfer after finalize answered (a slow mail server must not hold the
// sender's client); a failure is logged. Shutdown waits for the mails still being sent (drain).
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/mailer.js';
import type { InboxNotices } from '../transfers/transfer.service.js';
import { inboxMail } from './inbox-mail.js';

export interface InboxNoticeDeps {
  readonly mailer: Mailer;
  readonly logger: Logger;
  /** Without a trailing slash. */
  readonly publicUrl: string;
}

export class InboxNotifier implements InboxNotices {
  readonly #deps: InboxNoticeDeps;
  readonly #mailing = new Set<Promise<void>>();

  constructor(deps: InboxNoticeDeps) {
    this.#deps = deps;
  }

  addressed(facts: Parameters<InboxNotices['addressed']>[0]): void {
    const { mailer, logger, publicUrl } = this.#deps;
    const sending = (async () => {
      for (const to of facts.recipients) {
        try {
          await mailer.send(inboxMail({
            to, senderEmail: facts.senderEmail, fileCount: facts.fileCount, transferExpiresAt: facts.expiresAt, inboxUrl: `${publicUrl}/inbox`,
          }));
        } catch (error) {
          logger.error({ err: error, transferId: facts.transferId, to }, 'inbox: the notice e-mail could not be sent');
        }
      }
    })();
    this.#mailing.add(sending);
    void sending.finally(() => this.#mailing.delete(sending));
  }

  /** Waits for notices still being sent (graceful shutdown, tests). */
  async drain(): Promise<void> {
    while (this.#mailing.size > 0) await Promise.allSettled([...this.#mailing]);
  }
}
