import type { Config } from '../../config.js';
import { customerName, escapeHtml, htmlButton, renderEmail, textColumns } from '../../emails/layout.js';
import type { OutgoingEmail } from '../../emails/message.js';
import { centsToMoney, formatMoney, totalCents } from '../../lib/money.js';

export const ORDER_CONFIRMATION_SUBJECT = 'Your Bookstore order is confirmed';

export interface ConfirmationLine {
  title: string;
  author: string;
  quantity: number;
  unit_price: string;
  cover_image_url: string | null;
  isbn: string | null;
}

export interface ConfirmationData {
  orderId: number;
  email: string;
  lines: ConfirmationLine[];
}

/** A cover a mail client can load: a public http(s) URL, else the Open Library cover of the ISBN, else none. */
function coverUrl(line: ConfirmationLine): string | null {
  const url = line.cover_image_url;
  if (url && url.startsWith('http') && !url.includes('localhost') && !url.includes('127.0.0.1')) return url;
  if (line.isbn) return `https://covers.openlibrary.org/b/isbn/${encodeURIComponent(line.isbn)}-M.jpg`;
  return null;
}

export function renderOrderConfirmation(
  config: Pick<Config, 'STORE_URL'>,
  domain: string,
  now: Date,
  data: ConfirmationData,
): OutgoingEmail {
  const name = customerName(data.email);
  const lines = data.lines.map((l) => ({
    ...l,
    unit: formatMoney(l.unit_price),
    lineTotal: centsToMoney(totalCents([l], (line) => line.unit_price)),
  }));
  const total = centsToMoney(totalCents(data.lines, (l) => l.unit_price));
  const storeUrl = config.STORE_URL;

  const rows = lines
    .map((l) => {
      const cover = coverUrl(l);
      const image = cover
        ? `<img src="${escapeHtml(cover)}" width="48" alt="" style="border:0;border-radius:4px">`
        : '<span style="font-size:32px">&#128218;</span>';
      return `<tr>
<td width="60" style="padding:12px 0;border-bottom:1px solid #e4e7eb;vertical-align:top">${image}</td>
<td style="padding:12px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top">
<div style="font-weight:bold">${escapeHtml(l.title)}</div>
<div style="color:#7b8794;font-size:13px">by ${escapeHtml(l.author)}</div>
<div style="color:#7b8794;font-size:13px">Qty: ${l.quantity} &times; $${l.unit}</div>
</td>
<td align="right" style="padding:12px 0;border-bottom:1px solid #e4e7eb;vertical-align:top;font-weight:bold">$${l.lineTotal}</td>
</tr>`;
    })
    .join('\n');

  const html = `<h1 style="margin:0 0 12px;font-size:22px">Thank you for your order!</h1>
<p style="margin:0 0 20px;line-height:22px">Hi ${escapeHtml(name)}, your order #${data.orderId} has been confirmed and is being processed.</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0">
${rows}
<tr>
<td></td>
<td style="padding:12px 8px;font-weight:bold">Total</td>
<td align="right" style="padding:12px 0;font-weight:bold;font-size:18px">$${total}</td>
</tr>
</table>
<p style="margin:24px 0 0;text-align:center">${htmlButton(storeUrl, 'Visit the Store')}</p>`;

  const rule = '-'.repeat(60);
  const textLines = lines
    .map(
      (l) =>
        `${l.title}\n  by ${l.author}\n${textColumns(`  Qty: ${l.quantity} x $${l.unit}`, `$${l.lineTotal}`)}`,
    )
    .join('\n\n');
  const text = `Thank you for your order!

Hi ${name}, your order #${data.orderId} has been confirmed and is being processed.

Order #${data.orderId}
${rule}
${textLines}
${rule}
${textColumns('Total', `$${total}`)}

Visit the store: ${storeUrl}`;

  return renderEmail({
    to: data.email,
    subject: ORDER_CONFIRMATION_SUBJECT,
    cause: orderConfirmationKey(data.orderId),
    domain,
    preheader: `Order #${data.orderId} is confirmed: total $${total}`,
    html,
    text,
    now,
  });
}

/** The job key and the e-mail's cause: one confirmation per order. */
export const orderConfirmationKey = (orderId: number) => `order-confirmation:${orderId}`;
