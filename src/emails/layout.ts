import { readFileSync } from 'node:fs';
import type { InlineImage, OutgoingEmail } from './message.js';

/** The logo is referenced from the HTML as `cid:bookstore-logo` and sent as an inline part (contract §5.10). */
export const LOGO_CID = 'bookstore-logo';

let logo: InlineImage | undefined;
export function logoImage(): InlineImage {
  logo ??= {
    cid: LOGO_CID,
    filename: 'logo.png',
    contentType: 'image/png',
    content: readFileSync(new URL('../../assets/logo.png', import.meta.url)),
  };
  return logo;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** One Message-ID per cause (`order-confirmation:42` → `<order-confirmation.42@domain>`), stable across retries. */
export function messageIdFor(cause: string, domain: string): string {
  return `<${cause.replace(/[^A-Za-z0-9.-]/g, '.')}@${domain}>`;
}

/** The local part of an address in title case, as the reference greets (`enotif_user` → `Enotif_User`). */
export function customerName(email: string): string {
  const local = email.split('@')[0] ?? email;
  return local.toLowerCase().replace(/\p{L}+/gu, (w) => w.charAt(0).toUpperCase() + w.slice(1));
}

/** A button-like link for the HTML part. */
export function htmlButton(href: string, label: string): string {
  return `<a href="${escapeHtml(href)}" style="display:inline-block;background:#1e3a5f;color:#ffffff;text-decoration:none;padding:12px 24px;border-radius:6px;font-weight:bold">${escapeHtml(label)}</a>`;
}

/** Plain-text columns: pads `left` so that `right` lines up at `width`. */
export function textColumns(left: string, right: string, width = 60): string {
  const gap = Math.max(2, width - left.length - right.length);
  return `${left}${' '.repeat(gap)}${right}`;
}

export interface EmailBody {
  to: string;
  subject: string;
  /** The cause, e.g. `order-confirmation:42`; gives the Message-ID. */
  cause: string;
  domain: string;
  /** Short summary shown by mail clients next to the subject. */
  preheader: string;
  /** The inner HTML (already escaped) placed between the shared header and footer. */
  html: string;
  /** The plain-text body, written for text readers, placed between the text header and footer. */
  text: string;
  now: Date;
}

/** Wraps a message body in the shared layout: header with the inline logo, body, footer with the current year. */
export function renderEmail(body: EmailBody): OutgoingEmail {
  const year = body.now.getUTCFullYear();
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(body.subject)}</title>
</head>
<body style="margin:0;padding:0;background:#f4f5f7;font-family:Helvetica,Arial,sans-serif;color:#1f2933">
<span style="display:none;max-height:0;overflow:hidden">${escapeHtml(body.preheader)}</span>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7">
<tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;width:100%;background:#ffffff;border-radius:8px">
<tr><td style="padding:20px 24px;background:#1e3a5f;border-radius:8px 8px 0 0">
<img src="cid:${LOGO_CID}" width="40" height="40" alt="" style="vertical-align:middle;border:0">
<span style="vertical-align:middle;color:#ffffff;font-size:22px;font-weight:bold;margin-left:10px">BookStore</span>
</td></tr>
<tr><td style="padding:24px">
${body.html}
</td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #e4e7eb;color:#7b8794;font-size:12px;line-height:18px">
<p style="margin:0">You received this email because you have an account with Bookstore.</p>
<p style="margin:0">&copy; ${year} Bookstore. All rights reserved.</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
  const text = `BookStore
=========

${body.text.trim()}

--
You received this email because you have an account with Bookstore.
© ${year} Bookstore. All rights reserved.
`;
  return {
    to: body.to,
    subject: body.subject,
    html,
    text,
    messageId: messageIdFor(body.cause, body.domain),
    inline: [logoImage()],
  };
}
