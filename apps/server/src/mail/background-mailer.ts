// Mail that leaves after the HTTP answer: a slow mail server must not hold a client, and a code's answer must not
// take longer for a real recipient than for a decoy (which would reveal who the recipients are). Failures are
// logged with ids, never secrets; shutdown waits for the mails still being sent (drain) before the mailer closes.
import type { Logger } from '../logger.js';
import type { Mailer, MailMessage } from './mailer.js';

export class BackgroundMailer {
  readonly #mailer: Mailer;
  readonly #logger: Logger;
  readonly #running = new Set<Promise<void>>();

  constructor(deps: { readonly mailer: Mailer; readonly logger: Logger }) {
    this.#mailer = deps.mailer;
    this.#logger = deps.logger;
  }

  /** Sends each message in turn, never throwing; `context` goes with a failure to the log. */
  send(messages: readonly MailMessage[], context: Readonly<Record<string, string>>): void {
    this.run(async (mailer) => {
      for (const message of messages) {
        try {
          await mailer.send(message);
        } catch (error) {
          this.#logger.error({ err: error, ...context, to: message.to }, 'an e-mail could not be sent');
        }
      }
    }, context);
  }

  /** Runs a task that builds and sends mail (it may read the database first), never throwing. */
  run(task: (mailer: Mailer) => Promise<void>, context: Readonly<Record<string, string>>): void {
    const running = task(this.#mailer).catch((error: unknown) => this.#logger.error({ err: error, ...context }, 'an e-mail could not be sent'));
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
  }

  /** Waits for the mails still being sent (graceful shutdown, tests). */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
