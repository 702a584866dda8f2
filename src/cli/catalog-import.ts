import { readFileSync, statSync } from 'node:fs';
import { destination, pino } from 'pino';
import { createDb, createPool } from '../db/client.js';
import { openDatabase, runningEmbeddedUrl, type Database } from '../db/database.js';
import { migrateDatabase } from '../db/migrate.js';
import { configFromEnvironment } from '../lib/env.js';
import {
  csvRecords,
  ImportFormatError,
  IMPORT_FIELDS,
  jsonlRecords,
  validateAll,
  writeImport,
} from '../modules/books/books.import.js';
import { CliError, createProgress, parseCommandLine, runCommand } from './args.js';

const USAGE = `usage: npm run catalog:import -- FILE [--format csv|jsonl] [--dry-run]

Imports books from a CSV file (RFC 4180, a header row naming the columns) or JSON Lines (one object per line).
Fields: ${IMPORT_FIELDS.join(', ')} (stock_quantity and date are accepted as names too).
title, author, isbn and price are required; every row is validated as POST /books validates a book (ISBN
normalised and checked, price > 0 with at most 2 decimals, dates as YYYY-MM-DD). A genre is given by name and
created when missing. The ISBN is the key: a book whose ISBN exists is updated, so importing the same file again
changes nothing. stock (default 0 for a new book; kept when empty for an existing one) of an existing book changes
through the same rule as PATCH /books/{id}/stock: a move from 0 notifies the readers waiting for it.
Any bad row: every bad row is listed with its line number and nothing is imported. The write is one transaction:
if it is interrupted nothing is written, and running the command again does the whole import.
--format: csv or jsonl (default: from the file name, .csv or .jsonl/.ndjson). --dry-run: validate only.`;

const spec = {
  command: 'npm run catalog:import',
  usage: USAGE,
  options: { format: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
  positionals: { min: 1, max: 1, name: 'FILE' },
} as const;

const MAX_REPORTED = 20;

async function connect(): Promise<Database> {
  const config = configFromEnvironment();
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, stop: async () => {} };
  const running = runningEmbeddedUrl(config);
  if (running) return { url: running, stop: async () => {} };
  return openDatabase(config, pino({ level: 'warn' }, destination(2)));
}

async function main() {
  const { values, positionals } = parseCommandLine(spec);
  const file = positionals[0]!;
  const format =
    values.format ?? (/\.csv$/i.test(file) ? 'csv' : /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : undefined);
  if (format !== 'csv' && format !== 'jsonl') {
    throw new CliError(
      values.format === undefined
        ? `cannot tell the format of ${file}: name it .csv or .jsonl, or give --format csv|jsonl`
        : `--format must be csv or jsonl`,
      2,
    );
  }
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }

  const totalLines = text.split('\n').length;
  const reading = createProgress('validating', totalLines);
  let validated;
  try {
    const records = format === 'csv' ? csvRecords(text) : jsonlRecords(text);
    validated = validateAll(
      (function* () {
        for (const r of records) {
          reading.update(r.line);
          yield r;
        }
      })(),
    );
  } catch (err) {
    if (err instanceof ImportFormatError) throw new CliError(`${file}: ${err.message}; nothing imported`);
    throw err;
  }
  reading.finish();
  const { rows, errors } = validated;
  if (errors.length > 0) {
    for (const e of errors.slice(0, MAX_REPORTED)) process.stderr.write(`${file}:${e.line}: ${e.reason}\n`);
    if (errors.length > MAX_REPORTED)
      process.stderr.write(`… and ${errors.length - MAX_REPORTED} more bad rows\n`);
    throw new CliError(
      `${errors.length} bad row${errors.length === 1 ? '' : 's'} of ${rows.length + errors.length}; nothing imported`,
    );
  }
  if (rows.length === 0) throw new CliError(`${file} has no rows; nothing imported`);
  if (values['dry-run']) {
    console.log(`${rows.length} rows are valid (dry run: nothing written)`);
    return;
  }

  const config = configFromEnvironment();
  const database = await connect();
  const pool = createPool(database.url, 2);
  try {
    await migrateDatabase(database.url);
    const writing = createProgress('writing', rows.length);
    const started = performance.now();
    const summary = await writeImport(createDb(pool), rows, {
      storeUrl: config.STORE_URL,
      restockDefaults: config,
      now: () => new Date(),
      onProgress: (n) => writing.update(n),
    });
    writing.finish();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `Imported ${summary.rows} rows in ${seconds} s: ${summary.created} new books, ${summary.updated} updated, ` +
        `${summary.unchanged} unchanged; ${summary.genresCreated} new genres; stock changed on ` +
        `${summary.stockChanged} existing books (${summary.readersNotified} waiting readers notified).`,
    );
  } finally {
    await pool.end();
    await database.stop();
  }
}

await runCommand(main);
