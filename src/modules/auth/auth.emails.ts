import type { Config } from '../../config.js';
import { customerName, escapeHtml, htmlButton, renderEmail } from '../../emails/layout.js';
import type { OutgoingEmail } from '../../emails/message.js';

export const VERIFY_EMAIL_SUBJECT = 'Confirm your e-mail address';
export const PASSWORD_RESET_SUBJECT = 'Reset your Bookstore password';

interface TokenEmail {
  to: string;
  token: string;
  cause: string;
  validHours: number;
}

/** What differs between the two link e-mails; the layout, the link and its validity are shared. */
interface LinkEmailCopy {
  subject: string;
  /** The storefront page the link opens, below STORE_URL. */
  page: string;
  preheader: string;
  heading: string;
  /** The HTML paragraph after "Hi <name>, ", given "valid for N hours". */
  htmlIntro: (valid: string) => string;
  button: string;
  /** The text paragraph after "Hi <name>,", given "valid for N hours", introducing the bare link. */
  textIntro: (valid: string) => string;
  footer: string;
}

export const LINK_EMAILS = {
  verify_email: {
    subject: VERIFY_EMAIL_SUBJECT,
    page: '/verify-email',
    preheader: 'One click to confirm your e-mail address.',
    heading: 'Confirm your e-mail address',
    htmlIntro: (valid) =>
      `please confirm that this is your e-mail address. The link is ${valid} and can be used once.`,
    button: 'Confirm my address',
    textIntro: (valid) =>
      `please confirm that this is your e-mail address (the link is ${valid} and can be used once):`,
    footer: 'If you did not create an account at Bookstore, ignore this e-mail.',
  },
  password_reset: {
    subject: PASSWORD_RESET_SUBJECT,
    page: '/reset-password',
    preheader: 'A link to choose a new password.',
    heading: 'Reset your password',
    htmlIntro: (valid) =>
      `someone (hopefully you) asked to reset the password of your Bookstore account. The link is ${valid} and can be used once; choosing a new password signs you out everywhere.`,
    button: 'Choose a new password',
    textIntro: (valid) =>
      `someone (hopefully you) asked to reset the password of your Bookstore account. Choose a new password here (the link is ${valid} and can be used once; it signs you out everywhere):`,
    footer: 'If you did not ask for this, ignore this e-mail: your password stays as it is.',
  },
} satisfies Record<string, LinkEmailCopy>;

export type LinkEmailKind = keyof typeof LINK_EMAILS;

/** The storefront page of a link e-mail: `${STORE_URL}/verify-email?token=…`, `${STORE_URL}/reset-password?token=…`. */
export const linkEmailUrl = (config: Pick<Config, 'STORE_URL'>, kind: LinkEmailKind, token: string) =>
  `${config.STORE_URL}${LINK_EMAILS[kind].page}?token=${encodeURIComponent(token)}`;

const hours = (n: number) => (n === 1 ? '1 hour' : `${n} hours`);

/** The address-verification or password-reset e-mail: a single-use link to the storefront. */
export function renderLinkEmail(
  config: Pick<Config, 'STORE_URL'>,
  kind: LinkEmailKind,
  domain: string,
  now: Date,
  data: TokenEmail,
): OutgoingEmail {
  const copy: LinkEmailCopy = LINK_EMAILS[kind];
  const link = linkEmailUrl(config, kind, data.token);
  const name = customerName(data.to);
  const valid = `valid for ${hours(data.validHours)}`;
  return renderEmail({
    to: data.to,
    subject: copy.subject,
    cause: data.cause,
    domain,
    now,
    preheader: copy.preheader,
    html: `<h1 style="margin:0 0 12px;font-size:22px">${copy.heading}</h1>
<p style="margin:0 0 20px;line-height:22px">Hi ${escapeHtml(name)}, ${copy.htmlIntro(valid)}</p>
<p style="margin:24px 0;text-align:center">${htmlButton(link, copy.button)}</p>
<p style="margin:0;color:#7b8794;font-size:13px;line-height:20px">${copy.footer}</p>`,
    text: `Hi ${name},

${copy.textIntro(valid)}

${link}

${copy.footer}`,
  });
}
