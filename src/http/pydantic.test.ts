import { describe, expect, it } from 'vitest';
import { parseDecimal, parsePydanticDate } from './pydantic.js';

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

  it.each([
    NaN,
    Infinity,
    -Infinity,
    'NaN',
    'nan',
    'sNaN',
    'Infinity',
    '-Infinity',
    'inf',
    '+Inf',
    ' infinity ',
  ])('reads %j as not finite', (value) => {
    expect(parseDecimal(value)).toEqual({ ok: false, reason: 'finite' });
  });
});

describe('Pydantic date input', () => {
  it.each([
    ['2020-01-01', '2020-01-01'],
    ['2000-02-29', '2000-02-29'],
    ['9999-12-31', '9999-12-31'],
    ['2020-01-01T00:00', '2020-01-01'],
    ['2020-01-01t00:00:00z', '2020-01-01'],
    ['2020-01-01_00:00:00,000000', '2020-01-01'],
    ['2020-01-01T00:00:00.0000001', '2020-01-01'],
    ['2020-01-01T00:00:00-0530', '2020-01-01'],
    ['2020-01-01T00:00:00\u221205:30', '2020-01-01'],
    ['2020-01-01T00:00:00+23:59', '2020-01-01'],
    [0, '1970-01-01'],
    ['-0', '1970-01-01'],
    [-86400, '1969-12-31'],
    ['86400.000', '1970-01-02'],
    [1577836800000, '2020-01-01'],
    [-62135596800000, '0001-01-01'],
  ])('reads %j as %s', (value, date) => {
    expect(parsePydanticDate(value)).toEqual({ ok: true, value: date });
  });

  const parsing = (error: string) => ({ ok: false, reason: { type: 'date_from_datetime_parsing', error } });
  it.each([
    ['2020-01', 'input is too short'],
    ['2020-01-01T', 'input is too short'],
    ['2020-01-01T00:0', 'input is too short'],
    ['x020-01-01', 'invalid character in year'],
    ['2020-0x-01', 'invalid character in month'],
    ['2020-13-0x', 'invalid character in day'],
    ['2020-13-45', 'month value is outside expected range of 1-12'],
    ['2021-02-29', 'day value is outside expected range'],
    ['2020-04-31', 'day value is outside expected range'],
    ['2020-01-01T00X00', 'invalid time separator, expected `:`'],
    ['2020-01-01T0a:00', 'invalid character in hour'],
    ['2020-01-01T00:0a', 'invalid character in minute'],
    ['2020-01-01T00:00:0', 'invalid character in second'],
    ['2020-01-01T00:60', 'minute value is outside expected range of 0-59'],
    ['2020-01-01T00:00:60', 'second value is outside expected range of 0-59'],
    ['2020-01-01T00:00:00.', 'second fraction digits missing after `.`'],
    ['2020-01-01T00:00:00Y', 'invalid timezone sign'],
    ['2020-01-01T00:00:00+0', 'invalid timezone hour'],
    ['2020-01-01T00:00:00+23', 'invalid timezone minute'],
    ['2020-01-01T00:00:00+00:60', 'timezone minute value is outside expected range of 0-59'],
    ['2020-01-01T00:00:00Zx', 'unexpected extra characters at the end of the input'],
    ['2020-01-01T00:00:00+00:00:00', 'unexpected extra characters at the end of the input'],
    ['99999999999999999999', 'invalid date separator, expected `-`'],
    ['1e3', 'input is too short'],
    [NaN, 'NaN values not permitted'],
    [Infinity, 'dates after 9999 are not supported as unix timestamps'],
    [-Infinity, 'dates before 0000 are not supported as unix timestamps'],
    [253402300800000, 'dates after 9999 are not supported as unix timestamps'],
    [-62167219201000, 'dates before 0000 are not supported as unix timestamps'],
  ])('refuses %j: %s', (value, error) => {
    expect(parsePydanticDate(value)).toEqual(parsing(error));
  });

  it.each([
    '2020-01-01T00:00:01',
    '2020-01-01T00:00:00.000001Z',
    '20120423',
    1.5,
    86400.5,
    -1.25,
    1577836800001,
  ])('refuses %j as a datetime with a time of day', (value) => {
    expect(parsePydanticDate(value)).toEqual({ ok: false, reason: { type: 'date_from_datetime_inexact' } });
  });

  it('refuses year 0 at conversion and anything but text or a number by type', () => {
    const year0 = { ok: false, reason: { type: 'date_parsing', error: 'year 0 is out of range' } };
    expect(parsePydanticDate('0000-01-01')).toEqual(year0);
    expect(parsePydanticDate('0000-12-31T00:00:00Z')).toEqual(year0);
    expect(parsePydanticDate(-62167219200000)).toEqual(year0);
    for (const value of [true, false, {}, [], undefined])
      expect(parsePydanticDate(value)).toEqual({ ok: false, reason: { type: 'date_type' } });
  });
});
