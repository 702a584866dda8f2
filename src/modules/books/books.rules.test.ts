import { describe, expect, it } from 'vitest';
import { normalizeIsbn, roundHalfEvenRatio, searchExpression } from './books.rules.js';

describe('ISBN normalisation', () => {
  it.each([
    ['9780743273565', '9780743273565'],
    ['978-0-06-112008-4', '9780061120084'],
    [' 978 0 06 112008 4 ', '9780061120084'],
    ['0-306-40615-2', '0306406152'],
    ['080442957x', '080442957X'],
  ])('accepts %s as %s', (input, expected) => {
    expect(normalizeIsbn(input)).toEqual({ ok: true, value: expected });
  });

  it.each([null, undefined, '', '   '])('treats %j as no ISBN', (input) => {
    expect(normalizeIsbn(input)).toEqual({ ok: true, value: null });
  });

  it.each([
    ['9780306406158', 'ISBN-13 checksum invalid'],
    ['978030640615X', 'ISBN-13 must be exactly 13 digits'],
    ['0306406153', 'ISBN-10 checksum invalid'],
    ['03064061X2', 'ISBN-10 must be 9 digits followed by a digit or X'],
    ['12345', 'ISBN must be 10 or 13 digits (hyphens ignored)'],
  ])('rejects %s: %s', (input, message) => {
    expect(normalizeIsbn(input)).toEqual({ ok: false, message });
  });
});

describe('search expression', () => {
  it.each([
    ['lord rings', 'lord:* & rings:*'],
    ['C++', 'C:*'],
    ['  du  ', 'du:*'],
    ["o'brien sci-fi", 'obrien:* & sci-fi:*'],
    ['Ñandú 42', 'Ñandú:* & 42:*'],
  ])('turns %j into %j', (q, expected) => {
    expect(searchExpression(q)).toBe(expected);
  });

  it.each(['++', '   ', '!@# $%'])('finds nothing searchable in %j', (q) => {
    expect(searchExpression(q)).toBeUndefined();
  });
});

describe('rating rounding', () => {
  it.each([
    [17, 4, 4.2], // 4.25 → 4.2
    [19, 4, 4.8], // 4.75 → 4.8
    [87, 20, 4.4], // 4.35 → 4.4
    [13, 3, 4.3],
    [5, 1, 5],
    [9, 2, 4.5],
  ])('rounds %d/%d half-even to %d', (sum, count, expected) => {
    expect(roundHalfEvenRatio(sum, count, 1)).toBe(expected);
  });

  it('gives the exact integer answer for every sum and count, also beyond double precision', () => {
    const exact = (sum: bigint, count: bigint) => {
      const scaled = sum * 10n;
      let q = scaled / count;
      const r = scaled % count;
      if (2n * r > count || (2n * r === count && q % 2n === 1n)) q += 1n;
      return Number(q) / 10;
    };
    for (let count = 1; count <= 60; count++)
      for (let sum = count; sum <= 5 * count; sum++)
        expect(roundHalfEvenRatio(sum, count, 1)).toBe(exact(BigInt(sum), BigInt(count)));
    for (const [sum, count] of [
      [4_503_599_627_370_495, 1_000_000_007],
      [9_007_199_254_740_000, 2_251_799_813_685_248],
    ] as const)
      expect(roundHalfEvenRatio(sum, count, 1)).toBe(exact(BigInt(sum), BigInt(count)));
  });
});
