import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { TEST_SECRET } from '../../test/helpers.js';

/** Every npm command with its entry file, as package.json runs it. */
const COMMANDS: Record<string, string> = {
  start: 'src/server.ts',
  worker: 'src/worker.ts',
  'db:migrate': 'src/db/migrate-cli.ts',
  'db:seed': 'src/db/seed.ts',
  'admin:create': 'src/cli/admin-create.ts',
  'catalog:import': 'src/cli/catalog-import.ts',
  'bench:restock': 'scripts/bench-restock.ts',
  'bench:checkout': 'scripts/bench-checkout.ts',
  'bench:catalog': 'scripts/bench-catalog.ts',
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.resolve(file), ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

// An empty database (not even migrated): any command that did something would leave tables or rows in it.
let admin: pg.Client;
let emptyUrl: string;
const emptyName = `bookstore_cli_${randomBytes(4).toString('hex')}`;
beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${emptyName}`);
  const u = new URL(inject('pgAdminUrl'));
  u.pathname = `/${emptyName}`;
  emptyUrl = u.toString();
});
afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${emptyName} WITH (FORCE)`);
  await admin.end();
});

async function tablesIn(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ name: string }>(
      `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    return r.rows.map((row) => row.name);
  } finally {
    await c.end();
  }
}

describe('every command answers --help with its usage and does nothing else', () => {
  for (const [name, file] of Object.entries(COMMANDS)) {
    it(`npm run ${name} -- --help (and -h) prints usage, exits 0 and touches neither database nor DATA_DIR`, async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-cli-help-'));
      const env = { DATABASE_URL: emptyUrl, DATA_DIR: dataDir, SECRET_KEY: TEST_SECRET, NODE_ENV: 'test' };
      const results = await Promise.all(['--help', '-h'].map((flag) => run(file, [flag], env)));
      for (const result of results) {
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/^usage: npm (run |start)/);
        expect(result.stdout.split('\n').length).toBeGreaterThan(2);
        expect(result.stderr).toBe('');
      }
      expect(await tablesIn(emptyUrl)).toEqual([]);
      expect(readdirSync(dataDir)).toEqual([]);
    }, 120_000);
  }
});

describe('command-line errors', () => {
  it('an unknown option is one line on stderr and exit 2, before any work', async () => {
    const files = [COMMANDS['db:seed']!, COMMANDS['db:migrate']!, COMMANDS['bench:restock']!];
    const results = await Promise.all(
      files.map((file) =>
        run(file, ['--frobnicate'], {
          DATABASE_URL: emptyUrl,
          DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bookstore-cli-bad-')),
        }),
      ),
    );
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^Error: Unknown option '--frobnicate' \(usage: npm .* -- --help\)\n$/);
    }
    expect(await tablesIn(emptyUrl)).toEqual([]);
  }, 120_000);

  it('a bad option value names the option (bench:restock used to print a stack trace)', async () => {
    const result = await run(COMMANDS['bench:restock']!, ['--waiting', 'many'], { DATABASE_URL: emptyUrl });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Error: --waiting must be an integer between 1 and \d+ .*\n$/);
  }, 120_000);

  it('an unreachable database is one clear line, not a stack trace', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-cli-down-'));
    const env = {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      DATA_DIR: dataDir,
      SECRET_KEY: TEST_SECRET,
    };
    for (const file of [COMMANDS['db:migrate']!, COMMANDS['db:seed']!]) {
      const result = await run(file, [], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^Error: cannot reach the database \(.*ECONNREFUSED.*\); check DATABASE_URL\n$/,
      );
    }
  }, 120_000);
});
