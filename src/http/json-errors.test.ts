import { describe, expect, it } from 'vitest';
import { locateJsonError } from './json-errors.js';

describe("locating a JSON syntax error as Python's decoder reports it", () => {
  it.each([
    ['abc', 'Expecting value', 0],
    ['   x', 'Expecting value', 3],
    ['tru', 'Expecting value', 0],
    ['{"a": }', 'Expecting value', 6],
    ['[1,2', "Expecting ',' delimiter", 4],
    ['{"a":1}x', 'Extra data', 7],
    ['{"a":1,}', 'Expecting property name enclosed in double quotes', 7],
    ["{'a': 1}", 'Expecting property name enclosed in double quotes', 1],
    ['{"a" 1}', "Expecting ':' delimiter", 5],
    ['{"a": "b', 'Unterminated string starting at', 6],
    ['"\\q"', 'Invalid \\escape', 1],
    ['"a\u0001"', 'Invalid control character at', 2],
    ['{"t":"😀",}', 'Expecting property name enclosed in double quotes', 9],
  ])('%j → %s at %i', (text, msg, pos) => {
    expect(locateJsonError(text)).toEqual({ msg, pos });
  });

  it('finds nothing wrong in valid JSON', () => {
    expect(locateJsonError('{"a": [1, 2.5e3, -0, true, null, "x\\u00e9"]}')).toBeUndefined();
  });
});
