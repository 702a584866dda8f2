/**
 * Input fields read as the reference backend's Pydantic v2 models read them, with the same error types, messages
 * and contexts in a 422 (contract §7.10): text counted in code points without NUL, decimals from numbers or
 * numeric strings, dates in Pydantic's lax mode. The pure parsers come first, the Zod fields built on them after.
 */
import { z } from 'zod';

export type DecimalInput =
  { ok: true; text: string; decimalPlaces: number } | { ok: false; reason: 'type' | 'parsing' | 'finite' };

/** The texts Python's Decimal reads as infinity or NaN, which Pydantic then refuses as not finite. */
const NON_FINITE_RE = /^[+-]?(?:inf|infinity|s?nan)$/i;

const DECIMAL_RE = /^[+-]?(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal given as a JSON number or a numeric string, as plain decimal text (no exponent). A number is judged
 * on its shortest decimal text, so 19.99 has two places although its binary value is not exactly 19.99.
 * Trailing zeros do not count as places ("15.00" has none), as with Pydantic's normalised Decimal.
 */
export function parseDecimal(value: unknown): DecimalInput {
  let raw: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: 'finite' };
    raw = String(value);
  } else if (typeof value === 'string') {
    raw = value.trim();
    if (NON_FINITE_RE.test(raw)) return { ok: false, reason: 'finite' };
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

export type DateInputError =
  | { type: 'date_type' }
  | { type: 'date_parsing' | 'date_from_datetime_parsing'; error: string }
  | { type: 'date_from_datetime_inexact' };

export type DateInput = { ok: true; value: string } | { ok: false; reason: DateInputError };

/** speedate's datetime, reduced to what a date needs: the calendar day and whether the time is exactly zero. */
type ParsedDateTime = { year: number; month: number; day: number; zeroTime: boolean };

class DateParseError extends Error {}

const fail = (message: string): never => {
  throw new DateParseError(message);
};

const MS_WATERSHED = 20_000_000_000;
const MAX_UNIX_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z
const MIN_UNIX_SECONDS = -62_167_219_200; // 0000-01-01T00:00:00Z
const SECONDS_PER_DAY = 86_400;
const I64_MAX = 2n ** 63n - 1n;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** speedate's Date::parse_bytes_partial: the leading YYYY-MM-DD, every character checked before any range. */
function datePart(b: Buffer): { year: number; month: number; day: number } {
  if (b.length < 10) fail('input is too short');
  const digit = (i: number, error: string) => {
    const c = b[i]!;
    return c >= 0x30 && c <= 0x39 ? c - 0x30 : fail(error);
  };
  const year =
    digit(0, 'invalid character in year') * 1000 +
    digit(1, 'invalid character in year') * 100 +
    digit(2, 'invalid character in year') * 10 +
    digit(3, 'invalid character in year');
  if (b[4] !== 0x2d) fail('invalid date separator, expected `-`');
  const month = digit(5, 'invalid character in month') * 10 + digit(6, 'invalid character in month');
  if (b[7] !== 0x2d) fail('invalid date separator, expected `-`');
  const day = digit(8, 'invalid character in day') * 10 + digit(9, 'invalid character in day');
  if (month < 1 || month > 12) fail('month value is outside expected range of 1-12');
  if (day < 1 || day > daysInMonth(year, month)) fail('day value is outside expected range');
  return { year, month, day };
}

/** speedate's Time::parse_bytes_offset from byte 11 on; true when the time of day is exactly 00:00:00. */
function timeIsZero(b: Buffer, offset: number): boolean {
  if (b.length - offset < 5) fail('input is too short');
  const isDigit = (i: number) => {
    const c = b[i];
    return c !== undefined && c >= 0x30 && c <= 0x39;
  };
  const two = (i: number, error: string) =>
    isDigit(i) && isDigit(i + 1) ? (b[i]! - 0x30) * 10 + (b[i + 1]! - 0x30) : fail(error);
  const hour = two(offset, 'invalid character in hour');
  if (b[offset + 2] !== 0x3a) fail('invalid time separator, expected `:`');
  const minute = two(offset + 3, 'invalid character in minute');
  if (hour > 23) fail('hour value is outside expected range of 0-23');
  if (minute > 59) fail('minute value is outside expected range of 0-59');
  let pos = offset + 5;
  let second = 0;
  let fraction = false;
  if (b[pos] === 0x3a) {
    second = two(pos + 1, 'invalid character in second');
    if (second > 59) fail('second value is outside expected range of 0-59');
    pos += 3;
    if (b[pos] === 0x2e || b[pos] === 0x2c) {
      pos += 1;
      const start = pos;
      while (isDigit(pos)) {
        if (b[pos] !== 0x30 && pos - start < 6) fraction = true;
        pos += 1;
      }
      if (pos === start) fail('second fraction digits missing after `.`');
    }
  }
  if (pos < b.length) {
    const c = b[pos]!;
    if (c === 0x5a || c === 0x7a) {
      pos += 1;
    } else {
      if (c === 0x2b || c === 0x2d) pos += 1;
      // U+2212 MINUS SIGN, which ISO 8601 allows for a negative offset.
      else if (c === 0xe2 && b[pos + 1] === 0x88 && b[pos + 2] === 0x92) pos += 3;
      else fail('invalid timezone sign');
      const tzHour = two(pos, 'invalid timezone hour');
      pos += 2;
      if (b[pos] === 0x3a) pos += 1;
      const tzMinute = two(pos, 'invalid timezone minute');
      pos += 2;
      if (tzMinute > 59) fail('timezone minute value is outside expected range of 0-59');
      if (tzHour * 60 + tzMinute >= 24 * 60) fail('timezone offset must be less than 24 hours');
    }
  }
  if (pos < b.length) fail('unexpected extra characters at the end of the input');
  return hour === 0 && minute === 0 && second === 0 && !fraction;
}

/** speedate's from_timestamp: seconds up to ±2e10, milliseconds beyond; `fraction` is a fraction of that unit. */
function fromTimestamp(timestamp: number, fraction: boolean): ParsedDateTime {
  const ms = Math.abs(timestamp) > MS_WATERSHED;
  const seconds = ms ? Math.floor(timestamp / 1000) : timestamp;
  if (seconds > MAX_UNIX_SECONDS) fail('dates after 9999 are not supported as unix timestamps');
  if (seconds < MIN_UNIX_SECONDS) fail('dates before 0000 are not supported as unix timestamps');
  const days = Math.floor(seconds / SECONDS_PER_DAY);
  const date = new Date(0);
  date.setUTCFullYear(1970, 0, 1 + days);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    zeroTime: !fraction && timestamp % (ms ? 86_400_000 : SECONDS_PER_DAY) === 0,
  };
}

/**
 * speedate's Date::parse_bytes, then DateTime::parse_bytes, as Pydantic's date validator tries them: YYYY-MM-DD,
 * else RFC 3339, else a numeric string as a unix timestamp, else the RFC 3339 error.
 */
function parseDateText(text: string): ParsedDateTime {
  const b = Buffer.from(text, 'utf8');
  try {
    const date = datePart(b);
    if (b.length === 10) return { ...date, zeroTime: true };
    const sep = b[10];
    if (sep !== 0x54 && sep !== 0x74 && sep !== 0x20 && sep !== 0x5f)
      fail('invalid datetime separator, expected `T`, `t`, `_` or space');
    return { ...date, zeroTime: timeIsZero(b, 11) };
  } catch (err) {
    const numeric = /^(-?\d+)(?:\.(\d*))?$/.exec(text);
    if (!numeric) throw err;
    const [, int = '', frac] = numeric;
    // Without a fraction the text must fit an i64, as speedate's integer parse requires.
    if (frac === undefined && (BigInt(int) > I64_MAX || BigInt(int) < -I64_MAX - 1n)) throw err;
    const fraction = /[1-9]/.test(frac ?? '');
    const whole = Number(int);
    // A negative timestamp with a fraction lies before its whole part.
    return fromTimestamp(fraction && int.startsWith('-') ? whole - 1 : whole, fraction);
  }
}

function toDate(dt: ParsedDateTime): DateInput {
  if (!dt.zeroTime) return { ok: false, reason: { type: 'date_from_datetime_inexact' } };
  if (dt.year === 0) return { ok: false, reason: { type: 'date_parsing', error: 'year 0 is out of range' } };
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return { ok: true, value: `${pad(dt.year, 4)}-${pad(dt.month, 2)}-${pad(dt.day, 2)}` };
}

/**
 * A date as Pydantic v2 reads one in lax mode: "YYYY-MM-DD", or a datetime (RFC 3339 text or a unix timestamp,
 * as a number or a numeric string) whose time is exactly zero in whatever offset it names. The errors carry
 * pydantic-core's types and speedate's messages.
 */
export function parsePydanticDate(value: unknown): DateInput {
  try {
    if (typeof value === 'string') return toDate(parseDateText(value));
    if (typeof value === 'number') {
      if (Number.isNaN(value)) fail('NaN values not permitted');
      if (value === Infinity) fail('dates after 9999 are not supported as unix timestamps');
      if (value === -Infinity) fail('dates before 0000 are not supported as unix timestamps');
      const whole = Math.floor(value);
      return toDate(fromTimestamp(whole, whole !== value));
    }
    return { ok: false, reason: { type: 'date_type' } };
  } catch (err) {
    if (!(err instanceof DateParseError)) throw err;
    return { ok: false, reason: { type: 'date_from_datetime_parsing', error: err.message } };
  }
}

export const pydanticIssue = (type: string, msg: string, ctx?: Record<string, unknown>) => ({
  code: 'custom' as const,
  message: msg,
  params: { pydantic: { type, msg, ...(ctx && { ctx }) } },
});

const NUL_MESSAGE = 'Text must not contain NUL characters';

/**
 * A string whose length is counted in characters (code points), as PostgreSQL's varchar(n) counts them, and
 * without NUL, which PostgreSQL cannot store.
 */
export function pgText(min: number, max?: number) {
  return z
    .string()
    .superRefine((s, ctx) => {
      const length = [...s].length;
      if (length < min)
        ctx.addIssue(
          pydanticIssue(
            'string_too_short',
            `String should have at least ${min} character${min === 1 ? '' : 's'}`,
            {
              min_length: min,
            },
          ),
        );
      if (max !== undefined && length > max)
        ctx.addIssue(
          pydanticIssue('string_too_long', `String should have at most ${max} characters`, {
            max_length: max,
          }),
        );
      if (s.includes('\u0000'))
        ctx.addIssue(pydanticIssue('value_error', `Value error, ${NUL_MESSAGE}`, { error: NUL_MESSAGE }));
    })
    .meta({ ...(min > 0 && { minLength: min }), ...(max !== undefined && { maxLength: max }) });
}

/** A decimal (JSON number or numeric string) with Pydantic's error types; the output is plain decimal text. */
export function decimal(opts: { gt?: number; ge?: number; le?: string; places?: number }) {
  return z
    .unknown()
    .transform((value, ctx) => {
      if (value === undefined) {
        ctx.addIssue({ code: 'invalid_type', expected: 'number', input: value });
        return z.NEVER;
      }
      const parsed = parseDecimal(value);
      if (!parsed.ok) {
        ctx.addIssue(
          parsed.reason === 'type'
            ? pydanticIssue(
                'decimal_type',
                'Decimal input should be an integer, float, string or Decimal object',
              )
            : parsed.reason === 'finite'
              ? pydanticIssue('finite_number', 'Input should be a finite number')
              : pydanticIssue('decimal_parsing', 'Input should be a valid decimal'),
        );
        return z.NEVER;
      }
      const { text: value10, decimalPlaces } = parsed;
      if (opts.places !== undefined && decimalPlaces > opts.places) {
        ctx.addIssue(
          pydanticIssue(
            'decimal_max_places',
            `Decimal input should have no more than ${opts.places} decimal place${opts.places === 1 ? '' : 's'}`,
            { decimal_places: opts.places },
          ),
        );
        return z.NEVER;
      }
      if (opts.gt !== undefined && compareDecimal(value10, String(opts.gt)) <= 0) {
        ctx.addIssue(
          pydanticIssue('greater_than', `Input should be greater than ${opts.gt}`, { gt: opts.gt }),
        );
        return z.NEVER;
      }
      if (opts.ge !== undefined && compareDecimal(value10, String(opts.ge)) < 0) {
        ctx.addIssue(
          pydanticIssue('greater_than_equal', `Input should be greater than or equal to ${opts.ge}`, {
            ge: opts.ge,
          }),
        );
        return z.NEVER;
      }
      if (opts.le !== undefined && compareDecimal(value10, opts.le) > 0) {
        ctx.addIssue(
          pydanticIssue('less_than_equal', `Input should be less than or equal to ${opts.le}`, {
            le: Number(opts.le),
          }),
        );
        return z.NEVER;
      }
      return value10;
    })
    .meta({
      anyOf: [{ type: 'number' }, { type: 'string', pattern: '^-?\\d*\\.?\\d*$' }],
      ...(opts.gt !== undefined && { exclusiveMinimum: opts.gt }),
      ...(opts.ge !== undefined && { minimum: opts.ge }),
      ...(opts.le !== undefined && { maximum: Number(opts.le) }),
      example: '12.99',
    });
}

const DATE_MESSAGES = {
  date_type: 'Input should be a valid date',
  date_parsing: 'Input should be a valid date in the format YYYY-MM-DD',
  date_from_datetime_parsing: 'Input should be a valid date or datetime',
  date_from_datetime_inexact: 'Datetimes provided to dates should have zero time - e.g. be exact dates',
} as const;

/** A calendar date read as Pydantic's `date` field reads it (see parsePydanticDate); the output is YYYY-MM-DD. */
export const dateInput = z
  .unknown()
  .transform((value, ctx) => {
    const parsed = parsePydanticDate(value);
    if (parsed.ok) return parsed.value;
    const { reason } = parsed;
    ctx.addIssue(
      'error' in reason
        ? pydanticIssue(reason.type, `${DATE_MESSAGES[reason.type]}, ${reason.error}`, {
            error: reason.error,
          })
        : pydanticIssue(reason.type, DATE_MESSAGES[reason.type]),
    );
    return z.NEVER;
  })
  .meta({ type: 'string', format: 'date', example: '2024-05-01' });

/**
 * A JSON number too large for a double (1e400) parses to ±Infinity, which JSON cannot carry back, so the 422
 * would echo it as null. The field validators get a copy with the number itself; the request's own parsed body,
 * which the 422 echoes, gets its text ("Infinity", "-Infinity").
 */
export function echoingNonFinite<T extends z.ZodType>(schema: T) {
  return z.preprocess((body) => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
    const raw = body as Record<string, unknown>;
    const copy = { ...raw };
    for (const [key, value] of Object.entries(raw))
      if (typeof value === 'number' && !Number.isFinite(value)) raw[key] = String(value);
    return copy;
  }, schema);
}
