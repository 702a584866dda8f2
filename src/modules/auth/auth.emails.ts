import type { Config } from '../../config.js';
import { customerName, escapeHtml, htmlButton, renderEmail } from '../../emails/layout.js';
import type { OutgoingEmail } from '../../emails/mailer.js';

export const VERIFY_EMAIL_SUBJECT = 'Confirm your e-mail address';
export const PASSWORD_RESET_SUBJECT = 'Reset your Bookstore password';

interface TokenEmail {
  to: string;
  token: string;
  cause: string;
  validHours: number;
}

/** The storefront page that confirms an address: `${STORE_URL}/verify-email?token=…`. */
export const verifyEmailLink = (config: Pick<Config, 'STORE_URL'>, token: string) =>
  `${config.STORE_URL}/verify-email?token=${encodeURIComponent(token)}`;

/** The storefront page that asks for a new password: `${STORE_URL}/reset-password?token=…`. */
export const passwordResetLink = (config: Pick<Config, 'STORE_URL'>, token: string) =>
  `${config.STORE_URL}/reset-password?token=${encodeURIComponent(token)}`;

const hours = (n: number) => (n === 1 ? '1 hour' : `${n} hours`);

export function renderVerifyEmail(
  config: Pick<Config, 'STORE_URL'>,
  domain: string,
  now: Date,
  data: TokenEmail,
): OutgoingEmail {
  const link = verifyEmailLink(config, data.token);
  const name = customerName(data.to);
  return renderEmail({
    to: data.to,
    subject: VERIFY_EMAIL_SUBJECT,
    cause: data.cause,
    domain,
    now,
    preheader: 'One click to confirm your e-mail address.',
    html: `<h1 style="margin:0 0 12px;font-size:22px">Confirm your e-mail address</h1>
<p style="margin:0 0 20px;line-height:22px">Hi ${escapeHtml(name)}, please confirm that this is your e-mail address. The link is valid for ${hours(data.validHours)} and can be used once.</p>
<p style="margin:24px 0;text-align:center">${htmlButton(link, 'Confirm my address')}</p>
<p style="margin:0;color:#7b8794;font-size:13px;line-height:20px">If you did not create an account at Bookstore, ignore this e-mail.</p>`,
    text: `Hi ${name},

please confirm that this is your e-mail address (the link is valid for ${hours(data.validHours)} and can be used once):

${link}

If you did not create an account at Bookstore, ignore this e-mail.`,
  });
}

export function renderPasswordResetEmail(
  config: Pick<Config, 'STORE_URL'>,
  domain: string,
  now: Date,
  data: TokenEmail,
): OutgoingEmail {
  const link = passwordResetLink(config, data.token);
  const name = customerName(data.to);
  return renderEmail({
    to: data.to,
    subject: PASSWORD_RESET_SUBJECT,
    cause: data.cause,
    domain,
    now,
    preheader: 'A link to choose a new password.',
    html: `<h1 style="margin:0 0 12px;font-size:22px">Reset your password</h1>
<p style="margin:0 0 20px;line-height:22px">Hi ${escapeHtml(name)}, someone (hopefully you) asked to reset the password of your Bookstore account. The link is valid for ${hours(data.validHours)} and can be used once; choosing a new password signs you out everywhere.</p>
<p style="margin:24px 0;text-align:center">${htmlButton(link, 'Choose a new password')}</p>
<p style="margin:0;color:#7b8794;font-size:13px;line-height:20px">If you did not ask for this, ignore this e-mail: your password stays as it is.</p>`,
    text: `Hi ${name},

someone (hopefully you) asked to reset the password of your Bookstore account. Choose a new password here (the link is valid for ${hours(data.validHours)} and can be used once; it signs you out everywhere):

${link}

If you did not ask for this, ignore this e-mail: your password stays as it is.`,
  });
}
