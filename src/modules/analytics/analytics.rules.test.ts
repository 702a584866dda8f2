import { describe, expect, it } from 'vitest';
import {
  averageOrderValue,
  decimalToHundredths,
  deltaPercentage,
  divideHalfEven,
  periodWindows,
} from './analytics.rules.js';

const iso = (w: { start: Date; end: Date }) => [w.start.toISOString(), w.end.toISOString()];

describe('periodWindows', () => {
  const now = new Date('2026-03-04T10:00:00.000Z'); // a Wednesday

  it('makes today run from midnight UTC to now, after the whole of yesterday', () => {
    const w = periodWindows(now, 'today');
    expect(iso(w.current)).toEqual(['2026-03-04T00:00:00.000Z', '2026-03-04T10:00:00.000Z']);
    expect(iso(w.prior)).toEqual(['2026-03-03T00:00:00.000Z', '2026-03-04T00:00:00.000Z']);
  });

  it('starts the week on Monday, also when now is a Monday or a Sunday', () => {
    const w = periodWindows(now, 'week');
    expect(iso(w.current)[0]).toBe('2026-03-02T00:00:00.000Z');
    expect(iso(w.prior)).toEqual(['2026-02-23T00:00:00.000Z', '2026-03-02T00:00:00.000Z']);
    expect(periodWindows(new Date('2026-03-02T00:00:00Z'), 'week').current.start.toISOString()).toBe(
      '2026-03-02T00:00:00.000Z',
    );
    expect(periodWindows(new Date('2026-03-08T23:59:59Z'), 'week').current.start.toISOString()).toBe(
      '2026-03-02T00:00:00.000Z',
    );
  });

  it('starts the month on the 1st and reaches back across a year boundary', () => {
    const w = periodWindows(now, 'month');
    expect(iso(w.current)[0]).toBe('2026-03-01T00:00:00.000Z');
    expect(iso(w.prior)).toEqual(['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    const jan = periodWindows(new Date('2026-01-15T12:00:00Z'), 'month');
    expect(iso(jan.prior)).toEqual(['2025-12-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
    const newYear = periodWindows(new Date('2026-01-01T00:30:00Z'), 'today');
    expect(iso(newYear.prior)).toEqual(['2025-12-31T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  });
});

describe('half-even arithmetic', () => {
  it('rounds exact ties to the even neighbour and everything else to the nearest', () => {
    expect(divideHalfEven(25n, 10n)).toBe(2n);
    expect(divideHalfEven(35n, 10n)).toBe(4n);
    expect(divideHalfEven(26n, 10n)).toBe(3n);
    expect(divideHalfEven(24n, 10n)).toBe(2n);
    expect(divideHalfEven(-25n, 10n)).toBe(-2n);
    expect(divideHalfEven(-35n, 10n)).toBe(-4n);
    expect(divideHalfEven(10n, 3n)).toBe(3n);
    expect(divideHalfEven(20n, 3n)).toBe(7n);
  });

  it('reads PostgreSQL decimals as hundredths', () => {
    expect(decimalToHundredths('0')).toBe(0n);
    expect(decimalToHundredths('12.99')).toBe(1299n);
    expect(decimalToHundredths('12.5')).toBe(1250n);
    expect(decimalToHundredths('0.125')).toBe(12n);
    expect(decimalToHundredths('0.135')).toBe(14n);
    expect(decimalToHundredths('-1.005')).toBe(-100n);
  });

  it('computes the average order value half-even and 0 without orders', () => {
    expect(averageOrderValue(0n, 0)).toBe(0n);
    expect(averageOrderValue(1000n, 3)).toBe(333n); // 3.3333…
    expect(averageOrderValue(2000n, 3)).toBe(667n); // 6.6666…
    expect(averageOrderValue(1n, 2)).toBe(0n); // 0.005 → 0.00
    expect(averageOrderValue(3n, 2)).toBe(2n); // 0.015 → 0.02
    expect(averageOrderValue(5n, 2)).toBe(2n); // 0.025 → 0.02
  });

  it('computes the delta percentage half-even and null when the prior revenue is 0', () => {
    expect(deltaPercentage(1000n, 0n)).toBeNull();
    expect(deltaPercentage(0n, 1000n)).toBe(-10000n);
    expect(deltaPercentage(1500n, 1000n)).toBe(5000n);
    expect(deltaPercentage(1000n, 3000n)).toBe(-6667n); // -66.666…
    // 1/20000 = 0.005 % → 0.00, 3/20000 = 0.015 % → 0.02, 5/20000 = 0.025 % → 0.02 (ties to even)
    expect(deltaPercentage(20001n, 20000n)).toBe(0n);
    expect(deltaPercentage(20003n, 20000n)).toBe(2n);
    expect(deltaPercentage(20005n, 20000n)).toBe(2n);
    expect(deltaPercentage(19995n, 20000n)).toBe(-2n);
  });
});
