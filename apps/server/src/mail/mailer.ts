// How the server sends e-mail (enrollment links, one-time codes, notices), whatever carries it.

export interface MailMessage {
  /** One address, already validated by the caller. */
  readonly to: string;
  readonly subject: string;
  /** Plain text only: no HTML means no tracking pixels and nothing for a mail client to render wrongly. */
  readonly text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}
