import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface SpawnedProcess {
  child: ChildProcess;
  /** Resolves when the process has exited: its code or signal, and when. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
}

/** Starts `command` with exactly the environment given, collecting its output. */
export function spawnProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { detached?: boolean } = {},
): SpawnedProcess {
  let output = '';
  const child = spawn(command, args, {
    env,
    detached: opts.detached,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, exited, output: () => output };
}

/**
 * Starts one of the project's entry points (`src/server.ts`, `src/worker.ts`) as `npm start` / `npm run worker`
 * do (node with tsx), with exactly the environment given, collecting its output.
 */
export function spawnEntry(
  entry: 'src/server.ts' | 'src/worker.ts',
  env: NodeJS.ProcessEnv,
  opts: { detached?: boolean } = {},
): SpawnedProcess {
  return spawnProcess(process.execPath, ['--import', 'tsx', entry], env, opts);
}

/**
 * Polls `http://127.0.0.1:${port}${path}` (default `/health/ready`) until it answers 200, and returns that
 * response. Throws after `timeoutMs`, or as soon as `proc` (the process that should answer) has exited, with
 * its output.
 */
export async function waitReady(
  port: number,
  opts: { path?: string; proc?: SpawnedProcess; timeoutMs?: number } = {},
): Promise<Response> {
  const url = `http://127.0.0.1:${port}${opts.path ?? '/health/ready'}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const output = () => (opts.proc ? `:\n${opts.proc.output()}` : '');
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return res;
    } catch {
      // not listening yet
    }
    const child = opts.proc?.child;
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new Error(`exited before ${url} answered 200${output()}`);
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Whether a process with this pid exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A free TCP port on loopback (nothing listens on it until someone starts a server there). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
