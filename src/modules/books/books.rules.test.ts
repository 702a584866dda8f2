import { describe, expect, it } from 'vitest';
import { normalizeIsbn, parseDecimal, roundHalfEvenRatio, searchExpression } from './books.rules.js';

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

describe('decimal input', () => {
  it.each([
    [19.99, '19.99', 2],
    ['15', '15', 0],
    [15, '15', 0],
    ['15.00', '15', 0],
    ['12.50', '12.5', 1],
    [19.999, '19.999', 3],
    ['1e2', '100', 0],
    ['1.5e-1', '0.15', 2],
    ['.5', '0.5', 1],
    ['-3.25', '-3.25', 2],
  ])('reads %j as %s with %d places', (value, text, places) => {
    expect(parseDecimal(value)).toEqual({ ok: true, text, decimalPlaces: places });
  });

  it('rejects non-numeric text and other types', () => {
    expect(parseDecimal('abc')).toEqual({ ok: false, reason: 'parsing' });
    expect(parseDecimal('1.2.3')).toEqual({ ok: false, reason: 'parsing' });
    expect(parseDecimal(true)).toEqual({ ok: false, reason: 'type' });
    expect(parseDecimal(null)).toEqual({ ok: false, reason: 'type' });
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
});
