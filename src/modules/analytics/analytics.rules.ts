/** Pure rules of the sales figures (contract §5.9): UTC period windows and exact half-even rounding. */

export type Period = 'today' | 'week' | 'month';

export interface Window {
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;

/**
 * The current window [start of period, now) and the whole prior period [previous start, start), in UTC;
 * weeks start on Monday (ISO).
 */
export function periodWindows(now: Date, period: Period): { current: Window; prior: Window } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const today = Date.UTC(y, m, now.getUTCDate());
  let start: number;
  let priorStart: number;
  switch (period) {
    case 'today':
      start = today;
      priorStart = today - DAY_MS;
      break;
    case 'week': {
      const daysSinceMonday = (now.getUTCDay() + 6) % 7;
      start = today - daysSinceMonday * DAY_MS;
      priorStart = start - 7 * DAY_MS;
      break;
    }
    case 'month':
      start = Date.UTC(y, m, 1);
      priorStart = Date.UTC(y, m - 1, 1);
      break;
  }
  return {
    current: { start: new Date(start), end: now },
    prior: { start: new Date(priorStart), end: new Date(start) },
  };
}

/** numerator / denominator rounded to an integer, ties to even (Python's Decimal rounding); denominator > 0. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const abs = negative ? -numerator : numerator;
  let quotient = abs / denominator;
  const twiceRemainder = (abs % denominator) * 2n;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n))
    quotient += 1n;
  return negative ? -quotient : quotient;
}

/** A decimal string from PostgreSQL NUMERIC ("123.45", "0", "-1.5") as hundredths, rounded half-even. */
export function decimalToHundredths(value: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new RangeError(`not a decimal: ${value}`);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const scaled = BigInt(whole + fraction) * 100n;
  const hundredths = divideHalfEven(scaled, 10n ** BigInt(fraction.length));
  return sign === '-' ? -hundredths : hundredths;
}

/** Hundredths as the JSON number of the wire format (123.45). */
export const hundredthsToNumber = (value: bigint): number => Number(value) / 100;

/** Average order value in hundredths: revenue / orders, half-even; 0 without orders. */
export function averageOrderValue(revenue: bigint, orderCount: number): bigint {
  return orderCount === 0 ? 0n : divideHalfEven(revenue, BigInt(orderCount));
}

/** (current − prior) / prior × 100 in hundredths of a percent, half-even; null when prior revenue is 0. */
export function deltaPercentage(current: bigint, prior: bigint): bigint | null {
  if (prior === 0n) return null;
  return divideHalfEven((current - prior) * 10_000n, prior);
}
