/** E-mails as the modules write them: the mailer sends them, the development mailbox stores them. */

/** An image shown inside the HTML through `cid:<cid>`. */
export interface InlineImage {
  cid: string;
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  /** A real plain-text alternative, written for text readers. */
  text: string;
  /** Deterministic per cause (e.g. `<order-confirmation.42@bookstore.local>`), so a resend is recognisable. */
  messageId?: string;
  inline?: InlineImage[];
  /** Extra header fields (e.g. List-Unsubscribe), set as given. */
  headers?: Record<string, string>;
}

/** One message for many recipients (a broadcast): everything but the recipient and the Message-ID. */
export type BroadcastEmail = Omit<OutgoingEmail, 'to' | 'messageId'>;

/** Header fields of one recipient only (e.g. that recipient's List-Unsubscribe link). */
export type RecipientHeaders = Record<string, string>;
