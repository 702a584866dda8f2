import pg from 'pg';
import {
  LEGACY_SUPERUSER_PASSWORD,
  credentialsFile,
  scramVerifier,
  type EmbeddedCredentials,
} from './embedded-credentials.js';

interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

const INVALID_PASSWORD = '28P01';

async function connectAs(port: number, user: string, password: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database });
  client.on('error', () => {}); // a server stopping under us; the query in flight fails on its own
  await client.connect();
  return client;
}

/**
 * The superuser session that sets the server up. A data folder made before the credentials file existed (or whose
 * upgrade was cut short before the new password was set) still has the old fixed password: it is used once, to set
 * the file's password.
 */
async function superuser(
  port: number,
  dbDir: string,
  credentials: EmbeddedCredentials,
  log: Logger,
): Promise<pg.Client> {
  const { user, password } = credentials.superuser;
  try {
    return await connectAs(port, user, password, 'postgres');
  } catch (err) {
    if ((err as { code?: string }).code !== INVALID_PASSWORD) throw err;
  }
  let client: pg.Client;
  try {
    client = await connectAs(port, user, LEGACY_SUPERUSER_PASSWORD, 'postgres');
  } catch (err) {
    if ((err as { code?: string }).code !== INVALID_PASSWORD) throw err;
    throw new Error(
      `the embedded PostgreSQL in ${dbDir} refuses the superuser password of ${credentialsFile(dbDir)}: ` +
        'restore that file from a backup of this data folder (it is created with the folder)',
    );
  }
  log.warn(`replacing the fixed superuser password of the embedded PostgreSQL in ${dbDir} with a random one`);
  await client.query(
    `ALTER ROLE ${client.escapeIdentifier(user)} PASSWORD ${client.escapeLiteral(scramVerifier(password))}`,
  );
  return client;
}

/**
 * Everything in the application database that the superuser owns and that is not part of an extension (the
 * tables and schemas of an old data folder, where migrations ran as the superuser) is given to the application
 * role. One statement, so one transaction: cut short, nothing changed, and the next start does it all.
 * Sequences owned by a table column move with their table; arrays and row types with their type or table.
 */
const TRANSFER_OWNERSHIP = `
DO $transfer$
DECLARE
  su oid := (SELECT oid FROM pg_roles WHERE rolname = current_user);
  app text := current_setting('bookstore.app_role');
  r record;
BEGIN
  FOR r IN
    SELECT n.nspname FROM pg_namespace n
     WHERE n.nspowner = su AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, app);
  END LOOP;

  FOR r IN
    SELECT c.oid::regclass AS name,
           CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                          WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relowner = su AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
       -- a sequence owned by a column (serial, identity) follows its table
       AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
     ORDER BY c.relkind = 'S', c.oid
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I', r.kind, r.name, app);
  END LOOP;

  FOR r IN
    SELECT p.oid::regprocedure AS name
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE p.proowner = su AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.name, app);
  END LOOP;

  FOR r IN
    SELECT t.oid::regtype AS name, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END AS kind
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE t.typowner = su AND t.typtype IN ('b', 'c', 'd', 'e', 'r')
       AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
       AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid) -- an array type follows its element
       AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c') -- a row type its table
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I', r.kind, r.name, app);
  END LOOP;
END
$transfer$`;

/**
 * Brings a running embedded server to the state this version expects, from any earlier state (a new data folder,
 * one made by an earlier version with the fixed superuser password, or an upgrade cut short at any point): every
 * step is idempotent and the next start redoes what is missing.
 *   1. the superuser has the credentials file's password;
 *   2. the application role exists: LOGIN, no SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, with the
 *      file's password;
 *   3. the application database exists and belongs to it;
 *   4. so does everything in that database that the superuser owned.
 */
export async function secureEmbeddedServer(
  port: number,
  dbDir: string,
  credentials: EmbeddedCredentials,
  log: Logger,
): Promise<void> {
  const { app, database } = credentials;
  const admin = await superuser(port, dbDir, credentials, log);
  try {
    const role = admin.escapeIdentifier(app.user);
    const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD ${admin.escapeLiteral(scramVerifier(app.password))}`;
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [app.user]);
    if (exists.rowCount === 0) {
      log.info(`creating the role ${app.user} that owns the embedded database`);
      await admin.query(`CREATE ROLE ${role} ${attributes}`);
    } else {
      await admin.query(`ALTER ROLE ${role} ${attributes}`);
    }
    const db = await admin.query<{ owner: string }>(
      'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
      [database],
    );
    if (db.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)} OWNER ${role}`);
    } else if (db.rows[0]!.owner !== app.user) {
      log.warn(`giving the embedded database ${database} and its objects to the role ${app.user}`);
      await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(database)} OWNER TO ${role}`);
    }
  } finally {
    await admin.end();
  }

  const inDb = await connectAs(port, credentials.superuser.user, credentials.superuser.password, database);
  try {
    await inDb.query('BEGIN');
    await inDb.query(`SELECT set_config('bookstore.app_role', $1, true)`, [app.user]);
    await inDb.query(TRANSFER_OWNERSHIP);
    await inDb.query('COMMIT');
  } finally {
    await inDb.end();
  }
}
