import { spawn, type ChildProcess } from 'node:child_process';

export interface SpawnedProcess {
  child: ChildProcess;
  /** Resolves when the process has exited: its code or signal, and when. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
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
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
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
