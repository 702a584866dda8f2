import { type SQL, sql } from 'drizzle-orm';
import { escapeHtml, htmlButton, messageIdFor, renderEmail } from '../../emails/layout.js';
import type { BroadcastEmail, OutgoingEmail } from '../../emails/message.js';

export interface RestockAlertInput {
  bookId: number;
  title: string;
  author: string;
  storeUrl: string;
  /** Until when a copy is held for each reader of the wave (fifo); null or absent: nothing held. */
  holdUntil?: Date | null;
  now: Date;
}

/** How a held copy's end is worded (e-mail, in-app notification, cancel page): UTC, to the minute. */
export function heldUntilText(holdUntil: Date): string {
  return `${holdUntil.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The header fields of one reader's alert: a one-click cancel of that reader's pre-booking (RFC 8058; the link is
 * built from PUBLIC_BASE_URL and carries a token bound to the pre-booking).
 */
export function oneClickCancelHeaders(cancelUrl: string): Record<string, string> {
  return { 'List-Unsubscribe': `<${cancelUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

export interface RestockEmailInput extends RestockAlertInput {
  preBookingId: number;
  to: string;
  domain: string;
  cancelUrl: string;
}

export const restockSubject = (title: string) => `'${title}' is back in stock`;

/**
 * The restock alert (contract §5.10), with a link to the book in the storefront: the same for every reader of a
 * wave (its recipient headers, the one-click cancel link among them, are added per reader). When the wave holds a
 * copy for each reader, it says until when.
 */
export function renderRestockAlert(input: RestockAlertInput): BroadcastEmail {
  const link = `${input.storeUrl}/books/${input.bookId}`;
  const held = input.holdUntil ? heldUntilText(input.holdUntil) : null;
  const holdHtml =
    held === null
      ? `<p style="margin:0 0 16px;color:#7b8794;font-size:13px">Copies may go quickly. Or open <a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`
      : `<p style="margin:0 0 16px;font-size:16px;line-height:24px">A copy is held for you until <strong>${escapeHtml(held)}</strong>. After that it goes to the next reader in line. Or open <a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`;
  const html = `<h1 style="margin:0 0 12px;font-size:24px">Good news!</h1>
<p style="margin:0 0 16px;font-size:16px;line-height:24px">A book you pre-booked is back in stock.</p>
<p style="margin:0 0 4px;font-size:18px;font-weight:bold">${escapeHtml(input.title)}</p>
<p style="margin:0 0 24px;color:#52606d">by ${escapeHtml(input.author)}</p>
<p style="margin:0 0 24px">${htmlButton(link, 'Visit the Store')}</p>
${holdHtml}
<p style="margin:0;color:#7b8794;font-size:13px">No longer interested? Use your mail program's unsubscribe button to cancel this pre-booking${held === null ? '' : ' and let the next reader have the copy'}.</p>`;
  const text = `Good news!

A book you pre-booked is back in stock:

  ${input.title}
  by ${input.author}

Visit the store: ${link}

${held === null ? 'Copies may go quickly.' : `A copy is held for you until ${held}. After that it goes to the next reader in line.`}

No longer interested? Use your mail program's unsubscribe button to cancel this pre-booking.`;
  const {
    to: _to,
    messageId: _messageId,
    ...alert
  } = renderEmail({
    to: '',
    subject: restockSubject(input.title),
    cause: 'restock',
    domain: 'invalid',
    preheader:
      held === null
        ? `${input.title} by ${input.author} is available again.`
        : `${input.title} by ${input.author} is available again: a copy is held for you until ${held}.`,
    html,
    text,
    now: input.now,
  });
  return alert;
}

/**
 * The cause of a restock alert, which makes it exactly-once (the e-mail ledger's key) and seeds its Message-ID:
 * `restock:<pre_booking_id>:<wave_id>`, one per reader and wave. The per-reader jobs of restocks committed before
 * waves existed used `restock:<pre_booking_id>`.
 */
export const restockCause = (preBookingId: number, waveId?: number) =>
  waveId === undefined ? `restock:${preBookingId}` : `restock:${preBookingId}:${waveId}`;

/** `restockCause` in SQL, for a pre-booking id column and a wave. */
export const restockCauseSql = (preBookingId: SQL, waveId: number) =>
  sql`'restock:' || ${preBookingId} || ':' || ${waveId}::int`;

/** The restock alert of one pre-booking (the per-reader jobs enqueued before restock waves existed). */
export function renderRestockEmail(input: RestockEmailInput): OutgoingEmail {
  return {
    ...renderRestockAlert(input),
    to: input.to,
    messageId: messageIdFor(restockCause(input.preBookingId), input.domain),
    headers: oneClickCancelHeaders(input.cancelUrl),
  };
}
