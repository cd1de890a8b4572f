// Sends drop-box e-mails after the answer (codes, receipts, owners' notices): a slow mail server must not hold the
// depositor's client, and a code's answer must not wait on it. A failure is logged; shutdown waits for the mails
// still being sent (drain).
import type { Logger } from '../logger.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';

export class BoxMailer {
  readonly #mailer: Mailer;
  readonly #logger: Logger;
  readonly #mailing = new Set<Promise<void>>();

  constructor(deps: { readonly mailer: Mailer; readonly logger: Logger }) {
    this.#mailer = deps.mailer;
    this.#logger = deps.logger;
  }

  /** Sends each message in turn, never throwing; `context` (ids, never secrets) goes with a failure to the log. */
  sendInBackground(messages: readonly MailMessage[], context: Readonly<Record<string, string>>): void {
    const sending = (async () => {
      for (const message of messages) {
        try {
          await this.#mailer.send(message);
        } catch (error) {
          this.#logger.error({ err: error, ...context, to: message.to }, 'boxes: an e-mail could not be sent');
        }
      }
    })();
    this.#mailing.add(sending);
    void sending.finally(() => this.#mailing.delete(sending));
  }

  /** Waits for mails still being sent (graceful shutdown, tests). */
  async drain(): Promise<void> {
    while (this.#mailing.size > 0) await Promise.allSettled([...this.#mailing]);
  }
}
