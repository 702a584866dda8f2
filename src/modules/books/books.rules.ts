/** Pure catalog rules (contract §5.1): ISBN normalisation, the search expression, money input, rating rounding. */

export type IsbnResult = { ok: true; value: string | null } | { ok: false; message: string };

/** Blank → null; otherwise hyphens and whitespace removed, upper-cased, and the ISBN-10/13 checksum verified. */
export function normalizeIsbn(input: string | null | undefined): IsbnResult {
  if (input === null || input === undefined || input.trim() === '') return { ok: true, value: null };
  const isbn = input.replace(/[-\s]/g, '').toUpperCase();
  if (isbn.length === 10) {
    if (!/^\d{9}[\dX]$/.test(isbn))
      return { ok: false, message: 'ISBN-10 must be 9 digits followed by a digit or X' };
    let sum = 0;
    for (let i = 0; i < 10; i++) {
      const c = isbn[i]!;
      sum += (10 - i) * (c === 'X' ? 10 : Number(c));
    }
    return sum % 11 === 0 ? { ok: true, value: isbn } : { ok: false, message: 'ISBN-10 checksum invalid' };
  }
  if (isbn.length === 13) {
    if (!/^\d{13}$/.test(isbn)) return { ok: false, message: 'ISBN-13 must be exactly 13 digits' };
    let sum = 0;
    for (let i = 0; i < 13; i++) sum += Number(isbn[i]) * (i % 2 === 0 ? 1 : 3);
    return sum % 10 === 0 ? { ok: true, value: isbn } : { ok: false, message: 'ISBN-13 checksum invalid' };
  }
  return { ok: false, message: 'ISBN must be 10 or 13 digits (hyphens ignored)' };
}

/**
 * The `to_tsquery('simple', …)` expression for a search string: each whitespace-separated token keeps only word
 * characters and `-`, gets a prefix marker, and all must match. Undefined when nothing searchable remains.
 */
export function searchExpression(q: string): string | undefined {
  const tokens = q
    .split(/\s+/)
    .map((t) => t.replace(/[^\p{L}\p{N}_-]/gu, ''))
    .filter((t) => t !== '');
  return tokens.length === 0 ? undefined : tokens.map((t) => `${t}:*`).join(' & ');
}

/** `%`, `_` and the escape character itself match literally in a LIKE pattern (contract §7.11). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export type DecimalInput =
  { ok: true; text: string; decimalPlaces: number } | { ok: false; reason: 'type' | 'parsing' };

const DECIMAL_RE = /^[+-]?(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal given as a JSON number or a numeric string, as plain decimal text (no exponent). A number is judged
 * on its shortest decimal text, so 19.99 has two places although its binary value is not exactly 19.99.
 * Trailing zeros do not count as places ("15.00" has none), as with Pydantic's normalised Decimal.
 */
export function parseDecimal(value: unknown): DecimalInput {
  let raw: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: 'parsing' };
    raw = String(value);
  } else if (typeof value === 'string') {
    raw = value.trim();
  } else {
    return { ok: false, reason: 'type' };
  }
  const m = DECIMAL_RE.exec(raw);
  if (!m) return { ok: false, reason: 'parsing' };
  const exponent = m[2] === undefined ? 0 : Number(m[2]);
  if (Math.abs(exponent) > 1000) return { ok: false, reason: 'parsing' };
  const negative = raw.startsWith('-');
  const mantissa = m[1]!;
  const [intPart = '', fracPart = ''] = mantissa.split('.');
  let digits = (intPart + fracPart).replace(/^0+(?=\d)/, '');
  let scale = fracPart.length - exponent;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  digits = digits.padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale).replace(/^0+(?=\d)/, '');
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  const isZero = /^0*$/.test(whole + frac);
  const text = `${negative && !isZero ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
  return { ok: true, text, decimalPlaces: frac.length };
}

/** Compares two plain decimal texts (as produced by parseDecimal) numerically. */
export function compareDecimal(a: string, b: string): number {
  const sign = (s: string) => (s.startsWith('-') ? -1 : /[1-9]/.test(s) ? 1 : 0);
  const sa = sign(a);
  const sb = sign(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  const abs = (s: string) => s.replace(/^-/, '').split('.') as [string, string?];
  const [ai, af = ''] = abs(a);
  const [bi, bf = ''] = abs(b);
  const width = Math.max(af.length, bf.length);
  const na = ai.padStart(Math.max(ai.length, bi.length), '0') + af.padEnd(width, '0');
  const nb = bi.padStart(Math.max(ai.length, bi.length), '0') + bf.padEnd(width, '0');
  const cmp = na === nb ? 0 : na < nb ? -1 : 1;
  return sa * cmp;
}

/**
 * sum/count rounded to `decimals` places with round-half-even, in exact integer arithmetic
 * (4.25 → 4.2, 4.75 → 4.8, 4.35 → 4.4), as Python's round(Decimal(avg), 1) does.
 */
export function roundHalfEvenRatio(sum: number, count: number, decimals = 1): number {
  const factor = 10 ** decimals;
  const scaled = BigInt(sum) * BigInt(factor);
  const n = BigInt(count);
  let q = scaled / n;
  let r = scaled % n;
  if (r < 0n) {
    q -= 1n;
    r += n;
  }
  const twice = 2n * r;
  if (twice > n || (twice === n && q % 2n !== 0n)) q += 1n;
  return Number(q) / factor;
}
