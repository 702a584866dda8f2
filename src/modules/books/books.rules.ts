/** Pure catalog rules (contract §5.1): ISBN normalisation, the search expression, rating rounding. */

export type IsbnResult = { ok: true; value: string | null } | { ok: false; message: string };

/** Blank → null; otherwise hyphens and whitespace removed, upper-cased, and the ISBN-10/13 checksum verified. */
export function normalizeIsbn(input: string | null | undefined): IsbnResult {
  if (input === null || input === undefined || input.trim() === '') return { ok: true, value: null };
  const isbn = input.replace(/[-\s]/g, '').toUpperCase();
  if (isbn.length === 10) {
    if (!/^\d{9}[\dX]$/.test(isbn))
      return { ok: false, message: 'ISBN-10 must be 9 digits followed by a digit or X' };
    let sum = 0;
    for (let i = 0; i < 10; i++) {
      const c = isbn[i]!;
      sum += (10 - i) * (c === 'X' ? 10 : Number(c));
    }
    return sum % 11 === 0 ? { ok: true, value: isbn } : { ok: false, message: 'ISBN-10 checksum invalid' };
  }
  if (isbn.length === 13) {
    if (!/^\d{13}$/.test(isbn)) return { ok: false, message: 'ISBN-13 must be exactly 13 digits' };
    let sum = 0;
    for (let i = 0; i < 13; i++) sum += Number(isbn[i]) * (i % 2 === 0 ? 1 : 3);
    return sum % 10 === 0 ? { ok: true, value: isbn } : { ok: false, message: 'ISBN-13 checksum invalid' };
  }
  return { ok: false, message: 'ISBN must be 10 or 13 digits (hyphens ignored)' };
}

/**
 * The `to_tsquery('simple', …)` expression for a search string: each whitespace-separated token keeps only word
 * characters and `-`, gets a prefix marker, and all must match. Undefined when nothing searchable remains.
 */
export function searchExpression(q: string): string | undefined {
  return searchTokens(q)
    ?.map((t) => `${t}:*`)
    .join(' & ');
}

/**
 * The tokens of that expression (before the prefix markers). PostgreSQL's `books_search_query` folds their
 * accents as the search vector's are folded, and builds the same `tok:* & …` query from them.
 */
export function searchTokens(q: string): string[] | undefined {
  const tokens = q
    .split(/\s+/)
    .map((t) => t.replace(/[^\p{L}\p{N}_-]/gu, ''))
    .filter((t) => t !== '');
  return tokens.length === 0 ? undefined : tokens;
}

/**
 * sum/count rounded to `decimals` places with round-half-even, in exact integer arithmetic
 * (4.25 → 4.2, 4.75 → 4.8, 4.35 → 4.4), as Python's round(Decimal(avg), 1) does.
 */
export function roundHalfEvenRatio(sum: number, count: number, decimals = 1): number {
  const factor = 10 ** decimals;
  if (Number.isSafeInteger(sum * factor) && Number.isSafeInteger(count) && count > 0) {
    // Exact in doubles: integer quotient and remainder of safe integers.
    const scaledN = sum * factor;
    let qn = Math.floor(scaledN / count);
    let rn = scaledN - qn * count;
    // The division is rounded: step the quotient until the remainder is in 0..count-1.
    while (rn < 0) {
      qn -= 1;
      rn += count;
    }
    while (rn >= count) {
      qn += 1;
      rn -= count;
    }
    const twiceN = 2 * rn;
    if (twiceN > count || (twiceN === count && qn % 2 !== 0)) qn += 1;
    return qn / factor;
  }
  const scaled = BigInt(sum) * BigInt(factor);
  const n = BigInt(count);
  let q = scaled / n;
  let r = scaled % n;
  if (r < 0n) {
    q -= 1n;
    r += n;
  }
  const twice = 2n * r;
  if (twice > n || (twice === n && q % 2n !== 0n)) q += 1n;
  return Number(q) / factor;
}
