/**
 * Locates the first syntax error of a JSON text the way Python's `json` decoder reports it (message and character
 * offset), so that a malformed body gets the same 422 `json_invalid` entry as from the reference. Only called once
 * JSON.parse has already failed.
 */
export interface JsonSyntaxError {
  msg: string;
  pos: number;
}

class Fail extends Error {
  constructor(
    readonly msg: string,
    readonly pos: number,
  ) {
    super(msg);
  }
}

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

export function locateJsonError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const skipWs = () => {
    while (i < text.length && WS.has(text[i]!)) i++;
  };

  const parseString = () => {
    const start = i;
    i++; // opening quote
    for (;;) {
      if (i >= text.length) throw new Fail('Unterminated string starting at', start);
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === undefined) throw new Fail('Unterminated string starting at', start);
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
            throw new Fail('Invalid \\uXXXX escape', i + 1);
          i += 6;
          continue;
        }
        if (!ESCAPES.has(e)) throw new Fail('Invalid \\escape', i);
        i += 2;
        continue;
      }
      if (c.charCodeAt(0) < 0x20) throw new Fail('Invalid control character at', i);
      i++;
    }
  };

  const parseValue = (): void => {
    skipWs();
    const c = text[i];
    if (c === '"') return parseString();
    if (c === '{') return parseObject();
    if (c === '[') return parseArray();
    for (const word of ['null', 'true', 'false', 'NaN', 'Infinity', '-Infinity']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      return;
    }
    throw new Fail('Expecting value', i);
  };

  const parseObject = () => {
    i++;
    skipWs();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      skipWs();
      if (text[i] !== '"') throw new Fail('Expecting property name enclosed in double quotes', i);
      parseString();
      skipWs();
      if (text[i] !== ':') throw new Fail("Expecting ':' delimiter", i);
      i++;
      parseValue();
      skipWs();
      if (text[i] === '}') {
        i++;
        return;
      }
      if (text[i] !== ',') throw new Fail("Expecting ',' delimiter", i);
      i++;
    }
  };

  const parseArray = () => {
    i++;
    skipWs();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      parseValue();
      skipWs();
      if (text[i] === ']') {
        i++;
        return;
      }
      if (text[i] !== ',') throw new Fail("Expecting ',' delimiter", i);
      i++;
    }
  };

  try {
    parseValue();
    skipWs();
    if (i < text.length) throw new Fail('Extra data', i);
    return undefined;
  } catch (err) {
    if (!(err instanceof Fail)) throw err;
    // Python counts code points; JavaScript strings count UTF-16 units.
    return { msg: err.msg, pos: [...text.slice(0, err.pos)].length };
  }
}

/** Deepest nesting of arrays and objects accepted in a JSON body (no body of this API needs more than a few). */
export const MAX_JSON_DEPTH = 64;

/**
 * The offset of the first `[` or `{` nested deeper than `max` levels, or -1. An iterative scan, run before
 * JSON.parse: a deeper document is refused before anything recursive (validation, error location, echoing the
 * input in a 422) can overflow the stack on it.
 */
export function jsonDepthExceeded(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return i;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return -1;
}
