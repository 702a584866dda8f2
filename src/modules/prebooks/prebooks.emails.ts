import { escapeHtml, htmlButton, renderEmail } from '../../emails/layout.js';
import type { OutgoingEmail } from '../../emails/mailer.js';

export interface RestockEmailInput {
  preBookingId: number;
  to: string;
  bookId: number;
  title: string;
  author: string;
  storeUrl: string;
  domain: string;
  now: Date;
}

export const restockSubject = (title: string) => `'${title}' is back in stock`;

/** The restock alert (contract §5.10), with a link to the book in the storefront. */
export function renderRestockEmail(input: RestockEmailInput): OutgoingEmail {
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
  return renderEmail({
    to: input.to,
    subject: restockSubject(input.title),
    cause: `restock:${input.preBookingId}`,
    domain: input.domain,
    preheader: `${input.title} by ${input.author} is available again.`,
    html,
    text,
    now: input.now,
  });
}
