import { sql } from 'drizzle-orm';
import { customType } from 'drizzle-orm/pg-core';

/**
 * A `Date` that also keeps the microseconds PostgreSQL stores: `Date` holds milliseconds only, and the API prints
 * timestamps to the microsecond (contract §1.2). `micros` is the part below the millisecond, 0..999.
 */
export class PreciseDate extends Date {
  readonly micros: number;

  constructor(epochMs: number, micros: number) {
    super(epochMs);
    this.micros = micros;
  }
}

/** Microseconds after the whole second (0..999999) of any Date; a plain Date has whole milliseconds. */
export function fractionMicros(d: Date): number {
  return d.getUTCMilliseconds() * 1000 + (d instanceof PreciseDate ? d.micros : 0);
}

// PostgreSQL's ISO text output of timestamptz, e.g. "2026-03-01 12:34:56.123456+00" or "…+05:30" (in whatever
// TimeZone the session has). Old dates can carry an offset with seconds (LMT); BC dates and ±infinity don't match.
const PG_TIMESTAMPTZ =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;

/** Parses PostgreSQL's text form of a timestamptz; null when the text is not in that form. */
export function parsePgTimestamptz(text: string): PreciseDate | null {
  const m = PG_TIMESTAMPTZ.exec(text);
  if (m === null) return null;
  const [, year, month, day, hour, minute, second, fraction = '', sign, offH, offM = '0', offS = '0'] = m;
  const utc = new Date(0);
  utc.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  utc.setUTCHours(Number(hour), Number(minute), Number(second), 0);
  const offsetSeconds = (sign === '-' ? -1 : 1) * (Number(offH) * 3600 + Number(offM) * 60 + Number(offS));
  const micros = Number(fraction.padEnd(6, '0'));
  return new PreciseDate(utc.getTime() - offsetSeconds * 1000 + Math.floor(micros / 1000), micros % 1000);
}

/** A timestamptz value as read by a raw query (text, or a Date from pg's type parser) → a Date with its microseconds. */
export function pgTimestamptz(value: string | Date): Date {
  if (value instanceof Date) return value;
  return parsePgTimestamptz(value) ?? new Date(value);
}

/** ISO-8601 UTC with all six fraction digits, so that a PreciseDate written back loses nothing. */
function toIsoMicros(d: Date): string {
  return `${d.toISOString().slice(0, -5)}.${String(fractionMicros(d)).padStart(6, '0')}Z`;
}

/**
 * `timestamp with time zone` read into a PreciseDate. Drizzle's own `timestamp()` column reads the driver's text
 * with `new Date(text)` and so drops the last three digits of the microseconds.
 */
export const timestamptz = customType<{ data: Date; driverData: string }>({
  dataType: () => 'timestamp with time zone',
  fromDriver: (value) => pgTimestamptz(value),
  toDriver: (value) => toIsoMicros(value),
});

/** `<name> timestamptz NOT NULL DEFAULT now()`: when a row was created (or last changed), set by the database. */
export const timestamptzNow = (name: string) =>
  timestamptz(name)
    .notNull()
    .default(sql`now()`);
