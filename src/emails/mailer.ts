import type { Logger } from 'pino';
import type { Config } from '../config.js';

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

export interface Mailer {
  send(message: OutgoingEmail): Promise<{ messageId: string }>;
  close(): void;
}

// Replaced by the SMTP / development-mailbox implementation (commerce issue).
export function createMailer(_config: Config, _log: Logger): Mailer {
  return {
    send: () => Promise.reject(new Error('mailer not configured')),
    close: () => {},
  };
}
