import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createBook, createUser, TEST_SECRET, useTestApp } from '../../test/helpers.js';
import { postPreBooking } from '../../test/requests.js';

const t = useTestApp();

const dir = mkdtempSync(path.join(tmpdir(), 'bookstore-import-'));
let fileCounter = 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function catalogImport(content: string, ext: string, args: string[] = []): Promise<Run & { file: string }> {
  const file = path.join(dir, `catalog-${++fileCounter}.${ext}`);
  writeFileSync(file, content);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.resolve('src/cli/catalog-import.ts'), file, ...args],
      {
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          SECRET_KEY: TEST_SECRET,
          DATA_DIR: dir,
          DATABASE_URL: t.databaseUrl,
          STORE_URL: 'http://store.test.local',
        },
        timeout: 240_000,
        maxBuffer: 10 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, file }),
    );
  });
}

/** A valid ISBN-13 from a serial number (978 prefix, check digit computed). */
function isbn13(n: number): string {
  const body = `978${String(n).padStart(9, '0')}`;
  const sum = [...body].reduce((s, d, i) => s + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return body + String((10 - (sum % 10)) % 10);
}

async function bookByIsbn(isbn: string) {
  const r = await t.deps.db.execute<{
    id: number;
    title: string;
    author: string;
    price: string;
    stock_quantity: number;
    description: string | null;
    publish_date: string | null;
    genre: string | null;
  }>(sql`SELECT b.id, b.title, b.author, b.price, b.stock_quantity, b.description, b.publish_date::text,
                g.name AS genre
         FROM books b LEFT JOIN genres g ON g.id = b.genre_id WHERE b.isbn = ${isbn}`);
  return r.rows[0];
}

const countBooks = async () =>
  (await t.deps.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM books`)).rows[0]!.n;

describe('npm run catalog:import', () => {
  it('imports a CSV with quoted fields, embedded commas, quotes and newlines, creating missing genres', async () => {
    const a = isbn13(1001);
    const b = isbn13(1002);
    const hyphenated = `${a.slice(0, 3)}-${a.slice(3, 4)}-${a.slice(4, 9)}-${a.slice(9)}`;
    const csv =
      'title,author,isbn,price,stock,genre,description,publish_date\r\n' +
      `"Dust, and Ashes",Ann Author,${hyphenated},12.5,3,Import Poetry,"Line one\r\nline ""two""",2001-02-03\r\n` +
      `Plain Title,Bob Writer,${b},7,,,,\r\n`;
    const run = await catalogImport(csv, 'csv');
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.stderr).toMatch(/^writing: 2\/2 \(100%\)/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Imported 2 rows in [\d.]+ s: 2 new books, 0 updated, 0 unchanged; 1 new genres/,
    );
    expect(await bookByIsbn(a)).toMatchObject({
      title: 'Dust, and Ashes',
      author: 'Ann Author',
      price: '12.50',
      stock_quantity: 3,
      genre: 'Import Poetry',
      description: 'Line one\r\nline "two"',
      publish_date: '2001-02-03',
    });
    expect(await bookByIsbn(b)).toMatchObject({ title: 'Plain Title', stock_quantity: 0, genre: null });
    // The new book's stock has its history entry, as a PATCH /books/{id}/stock would.
    const history = await t.deps.db.execute<{ old_quantity: number; new_quantity: number }>(
      sql`SELECT old_quantity, new_quantity FROM stock_changes WHERE book_id = ${(await bookByIsbn(a))!.id}`,
    );
    expect(history.rows).toEqual([{ old_quantity: 0, new_quantity: 3 }]);
    // Visible through the API like any book.
    const res = await t.app.inject({ method: 'GET', url: `/books/${(await bookByIsbn(a))!.id}` });
    expect(res.json()).toMatchObject({ isbn: a, price: '12.50', publish_date: '2001-02-03' });
  }, 120_000);

  it('imports JSON Lines, and a second import of the same file changes nothing', async () => {
    const rows = [1, 2, 3].map((k) => ({
      title: `JSONL Book ${k}`,
      author: 'Jay Son',
      isbn: isbn13(2000 + k),
      price: k === 1 ? 9.99 : `${k}.25`,
      stock_quantity: k,
      genre: 'Import Essays',
      date: '1999-12-31',
    }));
    const jsonl = rows.map((r) => JSON.stringify(r)).join('\n') + '\n\n';
    const first = await catalogImport(jsonl, 'jsonl');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/: 3 new books, 0 updated, 0 unchanged; 1 new genres/);
    const before = await countBooks();
    const again = await catalogImport(jsonl, 'jsonl');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/: 0 new books, 0 updated, 3 unchanged; 0 new genres; stock changed on 0/);
    expect(await countBooks()).toBe(before);
    expect(await bookByIsbn(isbn13(2001))).toMatchObject({ price: '9.99', stock_quantity: 1 });

    // A changed price updates that one book in place (same id).
    const id = (await bookByIsbn(isbn13(2002)))!.id;
    const changed = jsonl.replace('"price":"2.25"', '"price":"3.75"');
    const third = await catalogImport(changed, 'jsonl');
    expect(third.stdout).toMatch(/: 0 new books, 1 updated, 2 unchanged/);
    expect(await bookByIsbn(isbn13(2002))).toMatchObject({ id, price: '3.75' });
  }, 120_000);

  it('changes the stock of an existing book through the stock rules: 0 → positive notifies waiting readers', async () => {
    const isbn = isbn13(3001);
    const book = await createBook(t, { stock: 0, isbn, title: 'Awaited', author: 'W. Aiting' });
    const reader = await createUser(t);
    const prebook = await postPreBooking(t.app, reader, book.id);
    expect(prebook.statusCode).toBe(201);

    const run = await catalogImport(
      `title,author,isbn,price,stock\nAwaited,W. Aiting,${isbn},10.00,4\n`,
      'csv',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/stock changed on 1 existing books \(1 waiting readers notified\)/);
    expect(await bookByIsbn(isbn)).toMatchObject({ id: book.id, stock_quantity: 4 });
    const status = await t.deps.db.execute<{ status: string }>(
      sql`SELECT status FROM pre_bookings WHERE book_id = ${book.id}`,
    );
    expect(status.rows).toEqual([{ status: 'notified' }]);
    const changes = await t.deps.db.execute<{
      old_quantity: number;
      new_quantity: number;
      notified_count: number;
    }>(sql`SELECT old_quantity, new_quantity, notified_count FROM stock_changes WHERE book_id = ${book.id}`);
    expect(changes.rows).toEqual([{ old_quantity: 0, new_quantity: 4, notified_count: 1 }]);

    // An empty stock cell keeps the existing stock.
    const keep = await catalogImport(
      `title,author,isbn,price,stock\nAwaited,W. Aiting,${isbn},10.00,\n`,
      'csv',
    );
    expect(keep.stdout).toMatch(/stock changed on 0 existing books/);
    expect(await bookByIsbn(isbn)).toMatchObject({ stock_quantity: 4 });
  }, 120_000);

  it('reports every bad row with its line and reason and imports nothing', async () => {
    const before = await countBooks();
    const csv =
      'title,author,isbn,price,stock\n' +
      `Good,Someone,${isbn13(4001)},5.00,1\n` +
      `"Bad price",Someone,${isbn13(4002)},0,1\n` +
      `Bad isbn,Someone,9780306406158,5.00,1\n` +
      `"Multi\nline title",Someone,${isbn13(4003)},5.999,1\n` +
      `Duplicate,Someone,${isbn13(4001)},5.00,-1\n` +
      `,Someone,${isbn13(4004)},5.00,1\n` +
      `Too,few\n`;
    const run = await catalogImport(csv, 'csv');
    expect(run.code).toBe(1);
    // Progress lines (validating: …, writing: …) aside.
    const lines = run.stderr
      .trim()
      .split('\n')
      .filter((l) => !/^(validating|writing)[: ]/.test(l));
    const f = run.file;
    expect(lines).toEqual([
      `${f}:3: price: Input should be greater than 0`,
      `${f}:4: isbn: Value error, ISBN-13 checksum invalid`,
      `${f}:5: price: Decimal input should have no more than 2 decimal places`,
      `${f}:7: stock: must be a whole number ≥ 0`,
      `${f}:8: title: Field required`,
      `${f}:9: expected 5 fields, found 2`,
      'Error: 6 bad rows of 7; nothing imported',
    ]);
    expect(await countBooks()).toBe(before);
    expect(await bookByIsbn(isbn13(4001))).toBeUndefined();
  }, 120_000);

  it('reports a duplicate ISBN within the file, and refuses unknown columns', async () => {
    const dup = await catalogImport(
      `title,author,isbn,price\nA,B,${isbn13(5001)},1\nC,D,${isbn13(5001).replace(/^978/, '978-')},2\n`,
      'csv',
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain(`${dup.file}:3: isbn: ${isbn13(5001)} is already on line 2`);
    const unknown = await catalogImport(`title,author,isbn,prcie\nA,B,${isbn13(5002)},1\n`, 'csv');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: .*line 1: unknown column "prcie" .*; nothing imported\n$/);
    expect(await bookByIsbn(isbn13(5001))).toBeUndefined();
  }, 120_000);

  it('finds the one bad row among 100 000 and imports none of them', async () => {
    const before = await countBooks();
    const lines = ['title,author,isbn,price,stock,genre,publish_date'];
    for (let i = 0; i < 100_000; i++) {
      const bad = i === 76_543;
      lines.push(
        `Generated ${i},Author ${i % 997},${isbn13(100_000 + i)},${bad ? 'free' : (5 + (i % 40)).toFixed(2)},` +
          `${i % 7},Generated ${i % 10},2000-01-${String(1 + (i % 28)).padStart(2, '0')}`,
      );
    }
    const run = await catalogImport(lines.join('\n') + '\n', 'csv');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${run.file}:76545: price: Input should be a valid decimal`);
    expect(run.stderr).toMatch(/Error: 1 bad row of 100000; nothing imported\n$/);
    expect(await countBooks()).toBe(before);
  }, 240_000);

  it('refuses a file it cannot read or whose format it cannot tell, with exit 2 for usage errors', async () => {
    const missing = await catalogImport('', 'csv');
    const unreadable = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.resolve('src/cli/catalog-import.ts'), path.join(dir, 'nope.csv')],
        { env: { PATH: process.env.PATH, DATABASE_URL: t.databaseUrl, DATA_DIR: dir } },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/the file is empty/);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toBe(`Error: cannot read ${path.join(dir, 'nope.csv')}: ENOENT\n`);
    const unknownFormat = await catalogImport('x', 'txt');
    expect(unknownFormat.code).toBe(2);
    expect(unknownFormat.stderr).toMatch(/^Error: cannot tell the format of .*\.txt/);
  }, 120_000);
});
