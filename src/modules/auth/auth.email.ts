import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * E-mail validation as the reference's Pydantic `EmailStr` (email-validator 2.x, no DNS check) does it,
 * with the same reasons, so that clients reading `ctx.reason` see the same text.
 */

const MAX_INPUT_LENGTH = 2048;
const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;
const EMAIL_MAX = 254;
const LABEL_MAX = 63;
const SPECIAL_USE_DOMAINS = ['arpa', 'invalid', 'local', 'localhost', 'onion', 'test'];

const NAME_CHARS = "[\\p{L}\\p{N}_!#$%&'*+\\-/=?^`{|}~]";
const PRETTY_EMAIL = new RegExp(
  `^\\s*(?:((?:${NAME_CHARS}+\\s+)*${NAME_CHARS}+)|"(.+?)")?\\s*<(.+)>\\s*$`,
  'su',
);
const ATEXT_INTL = /^[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~\u0080-\u{10FFFF}]$/u;
const ATEXT_HOSTNAME_INTL = /^[a-zA-Z0-9\-.\u0080-\u{10FFFF}]$/u;
const ASCII_HOSTNAME =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

export type EmailResult = { ok: true; email: string } | { ok: false; reason: string };

const tooMany = (n: number) => `(${n} character${n === 1 ? '' : 's'} too many)`;

/** How Python's email-validator displays an offending character. */
function displayChar(c: string): string {
  if (c === '\\') return '"\\"';
  if (/^[\p{L}\p{N}\p{P}\p{S}]$/u.test(c)) return c === "'" ? `"'"` : `'${c}'`;
  if (c === ' ') return 'SPACE';
  if (c === '\t') return 'CHARACTER TABULATION';
  const code = c.codePointAt(0) ?? 0;
  return `U+${code
    .toString(16)
    .toUpperCase()
    .padStart(code <= 0xffff ? 4 : 8, '0')}`;
}

const badCharList = (chars: Iterable<string>) => [...new Set([...chars].map(displayChar))].sort().join(', ');

function checkDotAtom(
  text: string,
  startDescr: string,
  endDescr: string,
  isHostname: boolean,
): string | null {
  if (text.startsWith('.')) return startDescr.replace('{}', 'period');
  if (text.endsWith('.')) return endDescr.replace('{}', 'period');
  if (text.includes('..')) return 'An email address cannot have two periods in a row.';
  if (isHostname) {
    if (text.endsWith('-')) return endDescr.replace('{}', 'hyphen');
    if (text.startsWith('-')) return startDescr.replace('{}', 'hyphen');
    if (text.includes('.-') || text.includes('-.'))
      return 'An email address cannot have a period and a hyphen next to each other.';
  }
  return null;
}

function validateLocal(local: string): string | null {
  if (local.length === 0) return 'There must be something before the @-sign.';
  const length = [...local].length;
  if (length > LOCAL_MAX)
    return `The email address is too long before the @-sign ${tooMany(length - LOCAL_MAX)}.`;
  const bad = [...local].filter((c) => c !== '.' && !ATEXT_INTL.test(c));
  if (bad.length > 0)
    return `The email address contains invalid characters before the @-sign: ${badCharList(bad)}.`;
  return checkDotAtom(
    local,
    'An email address cannot start with a {}.',
    'An email address cannot have a {} immediately before the @-sign.',
    false,
  );
}

function validateDomain(domain: string): { ok: true; domain: string } | { ok: false; reason: string } {
  if (domain.length === 0) return { ok: false, reason: 'There must be something after the @-sign.' };
  if (domain.startsWith('[') && domain.endsWith(']'))
    return { ok: false, reason: 'A bracketed IP address after the @-sign is not allowed here.' };
  const bad = [...domain].filter((c) => !ATEXT_HOSTNAME_INTL.test(c));
  if (bad.length > 0)
    return {
      ok: false,
      reason: `The part after the @-sign contains invalid characters: ${badCharList(bad)}.`,
    };
  const dotAtom = checkDotAtom(
    domain,
    'An email address cannot have a {} immediately after the @-sign.',
    'An email address cannot end with a {}.',
    true,
  );
  if (dotAtom) return { ok: false, reason: dotAtom };

  const lowered = domain.normalize('NFC').toLowerCase();
  for (const label of lowered.split('.')) {
    if (/^..--/.test(label) && !label.startsWith('xn--'))
      return {
        ok: false,
        reason:
          'An email address cannot have two letters followed by two dashes immediately after the @-sign or after a period, except Punycode.',
      };
  }
  let ascii = lowered;
  if (!ASCII_HOSTNAME.test(lowered)) {
    ascii = domainToASCII(lowered);
    if (ascii === '' || !ASCII_HOSTNAME.test(ascii))
      return { ok: false, reason: 'The part after the @-sign is not valid IDNA.' };
  }
  if (ascii.length > DOMAIN_MAX)
    return { ok: false, reason: 'The email address is too long after the @-sign.' };
  for (const label of ascii.split('.')) {
    if (label.length > LABEL_MAX)
      return {
        ok: false,
        reason: `After the @-sign, periods cannot be separated by so many characters ${tooMany(label.length - LABEL_MAX)}.`,
      };
  }
  if (!ascii.includes('.'))
    return { ok: false, reason: 'The part after the @-sign is not valid. It should have a period.' };
  if (!/[a-z]$/.test(ascii))
    return {
      ok: false,
      reason: 'The part after the @-sign is not valid. It is not within a valid top-level domain.',
    };
  if (SPECIAL_USE_DOMAINS.some((d) => ascii === d || ascii.endsWith(`.${d}`)))
    return {
      ok: false,
      reason: 'The part after the @-sign is a special-use or reserved name that cannot be used with email.',
    };
  return { ok: true, domain: ascii === lowered ? ascii : domainToUnicode(ascii) };
}

/** Validates and normalises an address: trimmed, "Name <addr>" reduced, domain lower-cased, local part kept. */
export function normalizeEmail(value: string): EmailResult {
  if (value.length > MAX_INPUT_LENGTH)
    return { ok: false, reason: `Length must not exceed ${MAX_INPUT_LENGTH} characters` };
  const pretty = PRETTY_EMAIL.exec(value);
  const address = pretty ? (pretty[3] ?? '') : value.trim();

  const at = address.indexOf('@');
  if (at < 0) return { ok: false, reason: 'An email address must have an @-sign.' };
  const local = address.slice(0, at).normalize('NFC');
  if (local.startsWith('"') && local.endsWith('"') && local.length > 1)
    return { ok: false, reason: 'Quoting the part before the @-sign is not allowed here.' };
  const localProblem = validateLocal(local);
  if (localProblem) return { ok: false, reason: localProblem };
  const domain = validateDomain(address.slice(at + 1));
  if (!domain.ok) return domain;

  const email = `${local}@${domain.domain}`;
  const length = [...email].length;
  if (length > EMAIL_MAX)
    return { ok: false, reason: `The email address is too long ${tooMany(length - EMAIL_MAX)}.` };
  return { ok: true, email };
}
