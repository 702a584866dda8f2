import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isDatabaseUnavailable } from '../db/errors.js';

/**
 * The one argument convention of every command (npm scripts): `--help`/`-h` prints the usage and exits 0 before
 * anything else happens; an unknown option or a missing value is one line on stderr and exit 2; a failure is one
 * line on stderr (no stack trace) and exit 1.
 */

/** A failure whose message is meant for the person at the terminal. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends Options> {
  /** e.g. `npm run db:seed`. */
  command: string;
  /** Full usage text printed by --help (the first line should be the synopsis). */
  usage: string;
  options?: O;
  /** How many positional arguments are accepted (default none). */
  positionals?: { min: number; max: number; name: string };
}

/** Parses `argv` (default: this process's arguments); prints usage and exits on --help, exits 2 on bad input. */
export function parseCommandLine<O extends Options>(spec: CommandSpec<O>, argv = process.argv.slice(2)) {
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  // Help wins over everything else on the line, even over arguments that would not parse.
  if (flags.includes('--help') || flags.includes('-h')) {
    process.stdout.write(spec.usage.endsWith('\n') ? spec.usage : `${spec.usage}\n`);
    process.exit(0);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: spec.options ?? ({} as O),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    usageError(spec, oneLine((err as Error).message));
  }
  const { min, max, name } = spec.positionals ?? { min: 0, max: 0, name: 'argument' };
  if (parsed.positionals.length > max) {
    usageError(spec, `unexpected argument '${parsed.positionals[max] ?? ''}'`);
  }
  if (parsed.positionals.length < min) usageError(spec, `missing ${name}`);
  return { values: parsed.values, positionals: parsed.positionals };
}

function usageError(spec: CommandSpec<Options>, message: string): never {
  process.stderr.write(`Error: ${message} (usage: ${spec.command} -- --help)\n`);
  process.exit(2);
}

function oneLine(message: string): string {
  // node:util's messages suggest `--`-escaping and use quotes around the flag; keep the first sentence.
  return message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
}

/** An integer option within bounds, or exit 2 naming the option. */
export function intOption(
  spec: CommandSpec<Options>,
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    usageError(spec, `--${name} must be an integer between ${min} and ${max}`);
  }
  return n;
}

/** The one-line reason to print for an error that ends a command. */
export function describeFailure(err: unknown): string {
  if (err instanceof CliError) return err.message;
  if (isDatabaseUnavailable(err)) {
    const detail = err instanceof Error && err.message ? err.message.split('\n')[0] : 'connection failed';
    return `cannot reach the database (${detail}); check DATABASE_URL`;
  }
  if (err instanceof Error) return (err.message || err.name).split('\n')[0]!;
  return String(err);
}

/** Runs a command's body: exit 0 on success, one line on stderr and the error's exit code (default 1) otherwise. */
export async function runCommand(body: () => Promise<void>): Promise<never> {
  try {
    await body();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`Error: ${describeFailure(err)}\n`);
    if (process.env.DEBUG_CLI === '1') console.error(err);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  }
}

/** A progress reporter on stderr: a redrawn bar in a terminal, a line every few seconds otherwise. */
export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  const started = performance.now();
  let last = 0;
  let done = 0;
  const render = (final: boolean) => {
    const now = performance.now();
    if (!final && now - last < (tty ? 100 : 5000)) return;
    last = now;
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    const secs = ((now - started) / 1000).toFixed(1);
    if (tty) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      stream.write(
        `\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}% ${done}/${total} ${secs}s`,
      );
      if (final) stream.write('\n');
    } else {
      stream.write(`${label}: ${done}/${total} (${pct}%) ${secs}s\n`);
    }
  };
  return {
    update(n: number) {
      done = n;
      render(false);
    },
    finish() {
      done = total;
      render(true);
    },
  };
}
