import { escapeHtml, htmlButton, messageIdFor, renderEmail } from '../../emails/layout.js';
import type { BroadcastEmail, OutgoingEmail } from '../../emails/mailer.js';

export interface RestockAlertInput {
  bookId: number;
  title: string;
  author: string;
  storeUrl: string;
  now: Date;
}

export interface RestockEmailInput extends RestockAlertInput {
  preBookingId: number;
  to: string;
  domain: string;
}

export const restockSubject = (title: string) => `'${title}' is back in stock`;

/** The restock alert (contract §5.10), with a link to the book in the storefront: the same for every reader. */
export function renderRestockAlert(input: RestockAlertInput): BroadcastEmail {
  const link = `${input.storeUrl}/books/${input.bookId}`;
  const html = `<h1 style="margin:0 0 12px;font-size:24px">Good news!</h1>
<p style="margin:0 0 16px;font-size:16px;line-height:24px">A book you pre-booked is back in stock.</p>
<p style="margin:0 0 4px;font-size:18px;font-weight:bold">${escapeHtml(input.title)}</p>
<p style="margin:0 0 24px;color:#52606d">by ${escapeHtml(input.author)}</p>
<p style="margin:0 0 24px">${htmlButton(link, 'Visit the Store')}</p>
<p style="margin:0;color:#7b8794;font-size:13px">Copies may go quickly. Or open <a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`;
  const text = `Good news!

A book you pre-booked is back in stock:

  ${input.title}
  by ${input.author}

Visit the store: ${link}

Copies may go quickly.`;
  const {
    to: _to,
    messageId: _messageId,
    ...alert
  } = renderEmail({
    to: '',
    subject: restockSubject(input.title),
    cause: 'restock',
    domain: 'invalid',
    preheader: `${input.title} by ${input.author} is available again.`,
    html,
    text,
    now: input.now,
  });
  return alert;
}

/** The restock alert of one pre-booking (the per-reader jobs enqueued before restock waves existed). */
export function renderRestockEmail(input: RestockEmailInput): OutgoingEmail {
  return {
    ...renderRestockAlert(input),
    to: input.to,
    messageId: messageIdFor(`restock:${input.preBookingId}`, input.domain),
  };
}
