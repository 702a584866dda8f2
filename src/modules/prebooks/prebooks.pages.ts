import { DOCUMENT_HEADERS } from '../../http/security-headers.js';
import { escapeHtml } from '../../emails/layout.js';
import type { PreBookingStatus } from './prebooks.table.js';

/** Headers of the one-click cancel pages: the token is in the URL, so it must not leak, be cached or be framed. */
export const PAGE_HEADERS = {
  ...DOCUMENT_HEADERS,
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Bookstore</title></head>
<body style="font-family:Helvetica,Arial,sans-serif;color:#1f2933;max-width:32rem;margin:3rem auto;padding:0 1rem">
<h1 style="font-size:1.4rem">${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

/** What a GET of the link shows: which pre-booking, and a button that POSTs the cancel. Changes nothing. */
export function confirmationPage(opts: {
  bookTitle: string;
  bookAuthor: string;
  status: PreBookingStatus;
  holdUntil: string | null;
  action: string;
}): string {
  if (opts.status === 'cancelled') return cancelledPage(opts.bookTitle, true);
  const held =
    opts.holdUntil === null ? '' : `<p>A copy is held for you until ${escapeHtml(opts.holdUntil)}.</p>`;
  return page(
    'Cancel your pre-booking?',
    `<p>Your pre-booking of <strong>${escapeHtml(opts.bookTitle)}</strong> by ${escapeHtml(opts.bookAuthor)}.</p>
${held}
<form method="post" action="${escapeHtml(opts.action)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit" style="background:#1e3a5f;color:#fff;border:0;border-radius:6px;padding:.7rem 1.4rem;font-size:1rem">Cancel my pre-booking</button>
</form>
<p style="color:#7b8794;font-size:.85rem">Nothing changes until you press the button.</p>`,
  );
}

export function cancelledPage(bookTitle: string, already: boolean): string {
  return page(
    already ? 'Already cancelled' : 'Pre-booking cancelled',
    `<p>Your pre-booking of <strong>${escapeHtml(bookTitle)}</strong> ${already ? 'was already' : 'is now'} cancelled. You will get no more alerts for it.</p>`,
  );
}

export function invalidLinkPage(): string {
  return page('This link is not valid', '<p>It may have been mistyped or cut short.</p>');
}
