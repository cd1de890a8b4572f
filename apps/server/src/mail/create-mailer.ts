// Chooses how mail leaves the server: SMTP when configured, otherwise the outbox folder.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Mailer } from './mailer.js';
import { OutboxMailer } from './outbox-mailer.js';
import { SmtpMailer } from './smtp-mailer.js';

export function createMailer(config: Pick<Config, 'mail' | 'mailFrom'>, logger: Logger): Mailer {
  return config.mail.kind === 'smtp'
    ? new SmtpMailer({ url: config.mail.url, from: config.mailFrom })
    : new OutboxMailer({ dir: config.mail.dir, from: config.mailFrom, logger });
}
