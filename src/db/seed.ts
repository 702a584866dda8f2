import { pathToFileURL } from 'node:url';
import { inArray, sql } from 'drizzle-orm';
import { books } from '../modules/books/books.table.js';
import { genres } from '../modules/genres/genres.table.js';
import { parseCommandLine, runCommand } from '../cli/args.js';
import { configFromEnvironment } from '../lib/env.js';
import { createLogger } from '../lib/logger.js';
import { createDb, createPool, type Db } from './client.js';
import { openDatabase, runningEmbeddedUrl } from './database.js';
import { migrateDatabase } from './migrate.js';

type SeedBook = [
  title: string,
  author: string,
  isbn: string,
  price: string,
  publishDate: string,
  stock: number,
  genre: string,
];

/** A demo catalog: real titles with their ISBN-13s (check digits verified by the seed test). */
export const SEED_BOOKS: readonly SeedBook[] = [
  ['Pride and Prejudice', 'Jane Austen', '9780141439518', '9.99', '1813-01-28', 12, 'Classics'],
  ['Moby-Dick', 'Herman Melville', '9780142437247', '14.50', '1851-10-18', 4, 'Classics'],
  ['The Great Gatsby', 'F. Scott Fitzgerald', '9780743273565', '10.99', '1925-04-10', 20, 'Classics'],
  ['To Kill a Mockingbird', 'Harper Lee', '9780061120084', '12.99', '1960-07-11', 15, 'Classics'],
  ['Nineteen Eighty-Four', 'George Orwell', '9780451524935', '9.49', '1949-06-08', 0, 'Classics'],
  ['Jane Eyre', 'Charlotte Brontë', '9780141441146', '8.99', '1847-10-16', 7, 'Classics'],
  ['The Catcher in the Rye', 'J. D. Salinger', '9780316769488', '11.25', '1951-07-16', 9, 'Classics'],
  ['Dune', 'Frank Herbert', '9780441172719', '18.99', '1965-08-01', 25, 'Science Fiction'],
  ['Foundation', 'Isaac Asimov', '9780553293357', '8.99', '1951-06-01', 10, 'Science Fiction'],
  ['Neuromancer', 'William Gibson', '9780441569595', '15.99', '1984-07-01', 0, 'Science Fiction'],
  [
    'The Left Hand of Darkness',
    'Ursula K. Le Guin',
    '9780441478125',
    '16.00',
    '1969-03-01',
    6,
    'Science Fiction',
  ],
  ['Hyperion', 'Dan Simmons', '9780553283686', '9.99', '1989-05-26', 3, 'Science Fiction'],
  ['The Martian', 'Andy Weir', '9780553418026', '17.00', '2014-02-11', 14, 'Science Fiction'],
  ['Snow Crash', 'Neal Stephenson', '9780553380958', '18.00', '1992-06-01', 0, 'Science Fiction'],
  ['The Hobbit', 'J. R. R. Tolkien', '9780547928227', '14.99', '1937-09-21', 30, 'Fantasy'],
  ['A Game of Thrones', 'George R. R. Martin', '9780553593716', '9.99', '1996-08-01', 11, 'Fantasy'],
  ['The Name of the Wind', 'Patrick Rothfuss', '9780756404741', '10.99', '2007-03-27', 0, 'Fantasy'],
  ['A Wizard of Earthsea', 'Ursula K. Le Guin', '9780547773742', '9.99', '1968-01-01', 5, 'Fantasy'],
  ['Mistborn: The Final Empire', 'Brandon Sanderson', '9780765350381', '9.99', '2006-07-17', 8, 'Fantasy'],
  [
    'The Hound of the Baskervilles',
    'Arthur Conan Doyle',
    '9780140437867',
    '7.99',
    '1902-04-01',
    9,
    'Mystery',
  ],
  ['And Then There Were None', 'Agatha Christie', '9780062073488', '8.99', '1939-11-06', 13, 'Mystery'],
  ['The Big Sleep', 'Raymond Chandler', '9780394758282', '15.00', '1939-02-06', 0, 'Mystery'],
  ['The Girl with the Dragon Tattoo', 'Stieg Larsson', '9780307454546', '10.99', '2005-08-01', 6, 'Mystery'],
  ['Gone Girl', 'Gillian Flynn', '9780307588371', '11.99', '2012-06-05', 4, 'Mystery'],
  ['The Da Vinci Code', 'Dan Brown', '9780307474278', '9.99', '2003-03-18', 17, 'Thriller'],
  ['The Silence of the Lambs', 'Thomas Harris', '9780312924584', '8.99', '1988-05-19', 2, 'Thriller'],
  ['The Bourne Identity', 'Robert Ludlum', '9780553260113', '9.99', '1980-03-01', 0, 'Thriller'],
  ['Jurassic Park', 'Michael Crichton', '9780345538987', '10.99', '1990-11-20', 12, 'Thriller'],
  ['The Hunt for Red October', 'Tom Clancy', '9780425240335', '9.99', '1984-10-01', 5, 'Thriller'],
  ['Dracula', 'Bram Stoker', '9780141439846', '8.99', '1897-05-26', 8, 'Horror'],
  ['Frankenstein', 'Mary Shelley', '9780141439471', '7.99', '1818-01-01', 10, 'Horror'],
  ['The Shining', 'Stephen King', '9780307743657', '9.99', '1977-01-28', 0, 'Horror'],
  ['The Haunting of Hill House', 'Shirley Jackson', '9780143039983', '16.00', '1959-10-16', 3, 'Horror'],
  ['It', 'Stephen King', '9781501142970', '12.99', '1986-09-15', 7, 'Horror'],
  ['Outlander', 'Diana Gabaldon', '9780440212560', '9.99', '1991-06-01', 6, 'Romance'],
  ['The Notebook', 'Nicholas Sparks', '9780446605236', '8.99', '1996-10-01', 0, 'Romance'],
  ['Me Before You', 'Jojo Moyes', '9780143124542', '16.00', '2012-01-05', 9, 'Romance'],
  ['Persuasion', 'Jane Austen', '9780141439686', '8.99', '1817-12-20', 4, 'Romance'],
  ['Wuthering Heights', 'Emily Brontë', '9780141439556', '7.99', '1847-12-01', 11, 'Romance'],
  ['Steve Jobs', 'Walter Isaacson', '9781451648539', '20.00', '2011-10-24', 5, 'Biography'],
  ['The Diary of a Young Girl', 'Anne Frank', '9780553296983', '7.99', '1947-06-25', 14, 'Biography'],
  ['Long Walk to Freedom', 'Nelson Mandela', '9780316548182', '13.99', '1994-01-01', 0, 'Biography'],
  ['Educated', 'Tara Westover', '9780399590504', '18.00', '2018-02-20', 16, 'Biography'],
  ['Becoming', 'Michelle Obama', '9781524763138', '19.99', '2018-11-13', 22, 'Biography'],
  [
    'Sapiens: A Brief History of Humankind',
    'Yuval Noah Harari',
    '9780062316097',
    '24.99',
    '2011-01-01',
    19,
    'History',
  ],
  ['Guns, Germs, and Steel', 'Jared Diamond', '9780393317558', '19.95', '1997-03-01', 3, 'History'],
  ['The Guns of August', 'Barbara W. Tuchman', '9780345476098', '18.00', '1962-01-01', 0, 'History'],
  ['SPQR: A History of Ancient Rome', 'Mary Beard', '9781631492228', '19.95', '2015-10-20', 6, 'History'],
  ['A Brief History of Time', 'Stephen Hawking', '9780553380163', '18.00', '1988-04-01', 12, 'Science'],
  ['The Selfish Gene', 'Richard Dawkins', '9780198788607', '14.95', '1976-01-01', 5, 'Science'],
  ['Cosmos', 'Carl Sagan', '9780345539434', '17.00', '1980-01-01', 8, 'Science'],
  ['On the Origin of Species', 'Charles Darwin', '9780451529060', '7.95', '1859-11-24', 0, 'Science'],
  ['Silent Spring', 'Rachel Carson', '9780618249060', '15.99', '1962-09-27', 4, 'Science'],
];

export const SEED_GENRES = [...new Set(SEED_BOOKS.map((b) => b[6]))];

export interface SeedSummary {
  genres: { total: number; created: number };
  books: { total: number; created: number };
}

/**
 * Inserts the demo genres and books that are not there yet (by genre name and ISBN), so running it again changes
 * nothing, not even stock an admin has changed since.
 */
export async function seedCatalog(db: Db): Promise<SeedSummary> {
  return db.transaction(async (tx) => {
    const newGenres = await tx
      .insert(genres)
      .values(SEED_GENRES.map((name) => ({ name })))
      .onConflictDoNothing({ target: genres.name })
      .returning({ id: genres.id });
    const genreRows = await tx
      .select({ id: genres.id, name: genres.name })
      .from(genres)
      .where(inArray(genres.name, SEED_GENRES));
    const genreIds = new Map(genreRows.map((g) => [g.name, g.id]));

    const newBooks = await tx
      .insert(books)
      .values(
        SEED_BOOKS.map(([title, author, isbn, price, publishDate, stockQuantity, genre]) => ({
          title,
          author,
          isbn,
          price,
          publishDate,
          stockQuantity,
          genreId: genreIds.get(genre) ?? null,
          description: `${title} by ${author}.`,
        })),
      )
      .onConflictDoNothing({ target: books.isbn })
      .returning({ id: books.id });

    const counts = await tx.execute<{ genres: number; books: number }>(
      sql`SELECT (SELECT count(*) FROM ${genres}) AS genres, (SELECT count(*) FROM ${books}) AS books`,
    );
    const totals = counts.rows[0]!;
    return {
      genres: { total: Number(totals.genres), created: newGenres.length },
      books: { total: Number(totals.books), created: newBooks.length },
    };
  });
}

export function describeSeed(s: SeedSummary): string {
  return (
    `Seeded catalog: ${s.genres.created} new genres (${s.genres.total} in total), ` +
    `${s.books.created} new books (${s.books.total} in total).`
  );
}

/** `npm run db:seed`: DATABASE_URL, else the running API's embedded server, else an embedded server of its own. */
async function main() {
  const config = configFromEnvironment();
  const log = createLogger(config);
  let url = config.DATABASE_URL ?? runningEmbeddedUrl(config);
  let stop = async () => {};
  if (url === undefined) {
    const database = await openDatabase(config, log);
    url = database.url;
    stop = () => database.stop();
    await migrateDatabase(url);
  }
  const pool = createPool(url, 2);
  try {
    console.log(describeSeed(await seedCatalog(createDb(pool))));
  } finally {
    await pool.end();
    await stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  parseCommandLine({
    command: 'npm run db:seed',
    usage: `usage: npm run db:seed

Loads the demo catalog (${SEED_GENRES.length} genres, ${SEED_BOOKS.length} books) into the database; books already there
(by ISBN) and genres (by name) are left as they are, so running it again changes nothing.
Database: DATABASE_URL; unset, the running API's embedded database in DATA_DIR, or an embedded one of its own.`,
  });
  await runCommand(main);
}
