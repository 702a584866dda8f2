import type { Config } from '../../config.js';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { zodIssuesToPydantic } from '../../http/validation.js';
import { createMissingGenres } from '../genres/genres.service.js';
import { genres } from '../genres/genres.table.js';
import { changeStock, recordOpeningStock } from '../stock/stock.service.js';
import { bookCreateBody } from './books.schemas.js';

/**
 * Catalog import (`npm run catalog:import`): CSV (RFC 4180, header row) or JSON Lines. Every row is validated as
 * `POST /books` validates its body (same schema: ISBN normalisation and checksum, price rules, dates), plus the
 * genre name as `POST /genres` and the stock as `PATCH /books/{id}/stock`. Any bad row: nothing is written.
 * Then one transaction: missing genres are created, new books inserted (with their stock), existing books (same
 * ISBN) updated, and a different stock of an existing book goes through the stock service's `changeStock`, so a
 * 0 → positive restock notifies waiting readers exactly as the API does.
 */

export const IMPORT_FIELDS = [
  'title',
  'author',
  'isbn',
  'price',
  'stock',
  'genre',
  'description',
  'publish_date',
  'cover_image_url',
] as const;
type Field = (typeof IMPORT_FIELDS)[number];
const ALIASES: Record<string, Field> = { stock_quantity: 'stock', date: 'publish_date' };
const REQUIRED: Field[] = ['title', 'author', 'isbn', 'price'];

export interface SourceRecord {
  /** 1-based line of the file where the record starts. */
  line: number;
  values: Record<string, unknown>;
}

export interface ImportRow {
  line: number;
  title: string;
  author: string;
  isbn: string;
  price: string;
  /** null: not given (a new book starts at 0, an existing book keeps its stock). */
  stock: number | null;
  genre: string | null;
  description: string | null;
  publishDate: string | null;
  coverImageUrl: string | null;
}

export interface RowError {
  line: number;
  reason: string;
}

export class ImportFormatError extends Error {}

/** RFC 4180: fields separated by commas, optionally quoted ("" is a quote inside), CRLF or LF line ends. */
export function* parseCsv(text: string): Generator<{ line: number; fields: string[] }> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let end = false;
    while (!end) {
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new ImportFormatError(`line ${startLine}: a quoted field is not closed`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        const after = text[i];
        if (after !== undefined && after !== ',' && after !== '\n' && after !== '\r') {
          throw new ImportFormatError(`line ${line}: unexpected character after a closing quote`);
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') throw new ImportFormatError(`line ${line}: a quote inside an unquoted field`);
          i++;
        }
        field += text.slice(start, i);
      }
      fields.push(field);
      field = '';
      const c = text[i];
      if (c === ',') {
        i++;
      } else {
        if (c === '\r') i++;
        if (text[i] === '\n') i++;
        line++;
        end = true;
      }
    }
    // A blank line (one empty field) is not a record.
    if (!(fields.length === 1 && fields[0] === '')) yield { line: startLine, fields };
  }
}

function headerFields(header: string[]): Field[] {
  const seen = new Set<Field>();
  const unknown: string[] = [];
  const fields = header.map((raw) => {
    const name = raw.trim().toLowerCase();
    const field = (IMPORT_FIELDS as readonly string[]).includes(name) ? (name as Field) : ALIASES[name];
    if (field === undefined) {
      unknown.push(raw);
      return 'title';
    }
    if (seen.has(field)) throw new ImportFormatError(`line 1: column "${raw}" appears twice`);
    seen.add(field);
    return field;
  });
  if (unknown.length > 0) {
    throw new ImportFormatError(
      `line 1: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} ` +
        `(known: ${IMPORT_FIELDS.join(', ')}; stock_quantity and date are accepted too)`,
    );
  }
  const missing = REQUIRED.filter((f) => !seen.has(f));
  if (missing.length > 0) throw new ImportFormatError(`line 1: missing column(s) ${missing.join(', ')}`);
  return fields;
}

/** CSV records as field → value objects; an empty CSV cell means "not given". */
export function* csvRecords(text: string): Generator<SourceRecord> {
  let fields: Field[] | undefined;
  for (const { line, fields: cells } of parseCsv(text)) {
    if (fields === undefined) {
      fields = headerFields(cells);
      continue;
    }
    if (cells.length !== fields.length) {
      yield { line, values: { __error: `expected ${fields.length} fields, found ${cells.length}` } };
      continue;
    }
    const values: Record<string, unknown> = {};
    fields.forEach((f, k) => {
      if (cells[k] !== '') values[f] = cells[k];
    });
    yield { line, values };
  }
  if (fields === undefined) throw new ImportFormatError('the file is empty (a header row is required)');
}

/** JSON Lines: one object per line; blank lines are skipped; keys as the CSV columns. */
export function* jsonlRecords(text: string): Generator<SourceRecord> {
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    const s = raw.trim();
    if (s === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch {
      yield { line, values: { __error: 'not valid JSON' } };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { line, values: { __error: 'not a JSON object' } };
      continue;
    }
    const values: Record<string, unknown> = {};
    const unknown: string[] = [];
    for (const [key, v] of Object.entries(value)) {
      const name = key.toLowerCase();
      const field = (IMPORT_FIELDS as readonly string[]).includes(name) ? (name as Field) : ALIASES[name];
      if (field === undefined) unknown.push(key);
      else if (v !== null && v !== '') values[field] = v;
    }
    if (unknown.length > 0) {
      yield { line, values: { __error: `unknown field(s) ${unknown.join(', ')}` } };
      continue;
    }
    yield { line, values };
  }
}

const genreName = z.string().trim().min(1).max(100);
const stockValue = z.coerce.number().int().min(0).max(2_147_483_647);

function describeIssues(issues: ReturnType<typeof zodIssuesToPydantic>): string {
  return issues.map((i) => `${i.loc.slice(1).join('.') || 'row'}: ${i.msg}`).join('; ');
}

/** Validates one record as the API would; the reason names each bad field. */
export function validateRecord(record: SourceRecord): { row: ImportRow } | { error: RowError } {
  const { line, values } = record;
  if (typeof values.__error === 'string') return { error: { line, reason: values.__error } };
  const missing = REQUIRED.filter((f) => values[f] === undefined);
  if (missing.length > 0) return { error: { line, reason: `${missing.join(', ')}: Field required` } };
  const body = {
    title: values.title,
    author: values.author,
    price: values.price,
    isbn: values.isbn,
    description: values.description ?? null,
    cover_image_url: values.cover_image_url ?? null,
    publish_date: values.publish_date ?? null,
  };
  const parsed = bookCreateBody.safeParse(body);
  const reasons: string[] = [];
  if (!parsed.success) reasons.push(describeIssues(zodIssuesToPydantic(parsed.error.issues, 'body', body)));
  let stock: number | null = null;
  if (values.stock !== undefined) {
    const s = stockValue.safeParse(values.stock);
    if (s.success) stock = s.data;
    else reasons.push('stock: must be a whole number ≥ 0');
  }
  let genre: string | null = null;
  if (values.genre !== undefined) {
    const g = genreName.safeParse(values.genre);
    if (g.success) genre = g.data;
    else reasons.push('genre: must be a name of 1 to 100 characters');
  }
  if (reasons.length > 0 || !parsed.success) return { error: { line, reason: reasons.join('; ') } };
  const book = parsed.data;
  if (book.isbn === null || book.isbn === undefined) {
    return { error: { line, reason: 'isbn: Field required (the ISBN is the import key)' } };
  }
  return {
    row: {
      line,
      title: book.title,
      author: book.author,
      isbn: book.isbn,
      price: book.price,
      stock,
      genre,
      description: book.description ?? null,
      publishDate: book.publish_date ?? null,
      coverImageUrl: book.cover_image_url ?? null,
    },
  };
}

/** Validates every record; a normalised ISBN given twice is an error on its second line. */
export function validateAll(
  records: Iterable<SourceRecord>,
  onProgress?: (n: number) => void,
): { rows: ImportRow[]; errors: RowError[] } {
  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const byIsbn = new Map<string, number>();
  let n = 0;
  for (const record of records) {
    const result = validateRecord(record);
    if ('error' in result) errors.push(result.error);
    else {
      const first = byIsbn.get(result.row.isbn);
      if (first !== undefined) {
        errors.push({ line: record.line, reason: `isbn: ${result.row.isbn} is already on line ${first}` });
      } else {
        byIsbn.set(result.row.isbn, record.line);
        rows.push(result.row);
      }
    }
    if (++n % 1000 === 0) onProgress?.(n);
  }
  onProgress?.(n);
  return { rows, errors };
}

export interface ImportSummary {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  genresCreated: number;
  stockChanged: number;
  readersNotified: number;
}

const BATCH = 5000;

/** Writes validated rows in one transaction (all or nothing; rerunning after an interruption simply redoes it). */
export async function writeImport(
  db: Db,
  rows: ImportRow[],
  opts: {
    storeUrl: string;
    now: () => Date;
    onProgress?: (done: number) => void;
    /** RESTOCK_POLICY / RESTOCK_HOLD_SECONDS for books without a policy of their own (default: broadcast). */
    restockDefaults?: Pick<Config, 'RESTOCK_POLICY' | 'RESTOCK_HOLD_SECONDS'>;
  },
): Promise<ImportSummary> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`
      CREATE TEMP TABLE catalog_import (
        line int, title text, author text, isbn text, price numeric(10,2), stock int, genre text,
        description text, publish_date date, cover_image_url text
      ) ON COMMIT DROP`);
    for (let i = 0; i < rows.length; i += BATCH) {
      const chunk = rows.slice(i, i + BATCH);
      const col = <K extends keyof ImportRow>(k: K) => sql.param(chunk.map((r) => r[k]));
      await tx.execute(sql`
        INSERT INTO catalog_import
        SELECT * FROM unnest(${col('line')}::int[], ${col('title')}::text[], ${col('author')}::text[],
          ${col('isbn')}::text[], ${col('price')}::numeric[], ${col('stock')}::int[], ${col('genre')}::text[],
          ${col('description')}::text[], ${col('publishDate')}::date[], ${col('coverImageUrl')}::text[])`);
      opts.onProgress?.(Math.min(i + BATCH, rows.length));
    }

    const genreNames = await tx.execute<{ genre: string }>(
      sql`SELECT DISTINCT genre FROM catalog_import WHERE genre IS NOT NULL ORDER BY genre`,
    );
    const genresCreated = await createMissingGenres(
      tx,
      genreNames.rows.map((r) => r.genre),
    );

    // Stock of existing books that the file changes: read before the upsert, applied through changeStock below.
    const stockChanges = await tx.execute<{ id: number; stock: number }>(sql`
      SELECT b.id, i.stock FROM catalog_import i JOIN books b ON b.isbn = i.isbn
      WHERE i.stock IS NOT NULL AND i.stock <> b.stock_quantity ORDER BY b.id`);

    const upserted = await tx.execute<{
      created: number;
      updated: number;
      stocked_ids: number[] | null;
      stocked_quantities: number[] | null;
    }>(sql`
      WITH up AS (
        INSERT INTO books AS b (title, author, isbn, price, stock_quantity, genre_id, description, publish_date,
                                cover_image_url)
        SELECT i.title, i.author, i.isbn, i.price, coalesce(i.stock, 0), g.id, i.description, i.publish_date,
               i.cover_image_url
        FROM catalog_import i LEFT JOIN ${genres} g ON g.name = i.genre
        ORDER BY i.line
        ON CONFLICT (isbn) DO UPDATE SET
          title = EXCLUDED.title, author = EXCLUDED.author, price = EXCLUDED.price, genre_id = EXCLUDED.genre_id,
          description = EXCLUDED.description, publish_date = EXCLUDED.publish_date,
          cover_image_url = EXCLUDED.cover_image_url, updated_at = now()
        WHERE (b.title, b.author, b.price, b.genre_id, b.description, b.publish_date, b.cover_image_url)
          IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.author, EXCLUDED.price, EXCLUDED.genre_id,
                            EXCLUDED.description, EXCLUDED.publish_date, EXCLUDED.cover_image_url)
        RETURNING b.id, b.stock_quantity, (xmax = 0) AS inserted)
      SELECT count(*) FILTER (WHERE inserted)::int AS created, count(*) FILTER (WHERE NOT inserted)::int AS updated,
             array_agg(id ORDER BY id) FILTER (WHERE inserted AND stock_quantity > 0) AS stocked_ids,
             array_agg(stock_quantity ORDER BY id) FILTER (WHERE inserted AND stock_quantity > 0)
               AS stocked_quantities
      FROM up`);
    // The opening stock of the new books, in the stock history as the stock module writes it.
    const stocked = upserted.rows[0];
    await recordOpeningStock(
      tx,
      (stocked?.stocked_ids ?? []).map((bookId, i) => ({
        bookId,
        quantity: stocked!.stocked_quantities![i]!,
      })),
    );

    let readersNotified = 0;
    for (const change of stockChanges.rows) {
      const result = await changeStock(
        tx,
        {
          RESTOCK_POLICY: 'broadcast',
          RESTOCK_HOLD_SECONDS: 86_400,
          ...opts.restockDefaults,
          STORE_URL: opts.storeUrl,
        },
        { bookId: change.id, quantity: change.stock, changedBy: null, at: opts.now() },
      );
      readersNotified += result.notified;
    }

    const { created, updated } = upserted.rows[0] ?? { created: 0, updated: 0 };
    return {
      rows: rows.length,
      created,
      updated,
      unchanged: rows.length - created - updated,
      genresCreated,
      stockChanged: stockChanges.rows.length,
      readersNotified,
    };
  });
}
