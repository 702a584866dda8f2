/**
 * Money as the API carries it: NUMERIC(10,2) text from the database, wire text with exactly two decimals, and
 * exact integer cents in between, so that sums never meet a binary fraction.
 */

const CANONICAL_MONEY = /^(?:0|[1-9]\d*)\.\d\d$/;

/** Renders a NUMERIC(10,2) value (string from the driver, or integer cents) with exactly two decimals. */
export function formatMoney(value: string | number): string {
  if (typeof value === 'number') return centsToMoney(value);
  // What PostgreSQL prints for NUMERIC(10,2): already in the wire form.
  if (CANONICAL_MONEY.test(value)) return value;
  return centsToMoney(moneyToCents(value));
}

export function moneyToCents(value: string): number {
  const negative = value.trim().startsWith('-');
  const [whole = '0', frac = ''] = value.trim().replace(/^[-+]/, '').split('.');
  const cents = Number(whole) * 100 + Number((frac + '00').slice(0, 2));
  return negative ? -cents : cents;
}

export function centsToMoney(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** The sum of price × quantity over the lines, in cents (`price` reads a line's unit price). */
export function totalCents<T extends { quantity: number }>(
  lines: readonly T[],
  price: (line: T) => string,
): number {
  let cents = 0;
  for (const line of lines) cents += moneyToCents(price(line)) * line.quantity;
  return cents;
}
