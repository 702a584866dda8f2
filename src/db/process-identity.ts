import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

/**
 * Who a pid is now, as PostgreSQL itself judges its lock file: a pid is only taken for the process that wrote it
 * when the live process's start time (and, for a postmaster, its data directory) match what was recorded. Pids
 * are reused after a reboot or in a container, so "a process with that pid is alive" proves nothing.
 * Linux only (/proc); where /proc is missing nothing can be verified and callers refuse rather than guess.
 */

export const canVerifyProcesses = () => existsSync('/proc/self/stat');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive but someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootTime: number | undefined;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Node runs on

/** The start time of a live process in seconds since the epoch (fractional), or undefined. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: the fields after it start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]); // field 22 overall
    bootTime ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(bootTime)) return undefined;
    return bootTime + ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function sameDirectory(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** The fields of a postmaster.pid this process needs (PostgreSQL's lock-file layout). */
export interface PostmasterLock {
  pid: number;
  dataDir: string;
  startedAt: number;
  port: number;
}

export function readPostmasterLock(file: string): PostmasterLock | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, dataDir: lines[1] ?? '', startedAt: Number(lines[2]), port: Number(lines[3]) };
}

/**
 * True only when the lock's pid is alive and is the postmaster of `dataDir`: its working directory (a postmaster
 * chdirs into its data directory) and the directory on its command line are that folder, and it started when the
 * lock file says (to the second).
 */
export function isPostmasterOf(lock: PostmasterLock, dataDir: string): boolean {
  if (!isAlive(lock.pid)) return false;
  if (!sameDirectory(lock.dataDir, dataDir)) return false;
  try {
    if (!sameDirectory(readlinkSync(`/proc/${lock.pid}/cwd`), dataDir)) return false;
    const argv = readFileSync(`/proc/${lock.pid}/cmdline`, 'utf8').split('\0');
    const d = argv.indexOf('-D');
    if (d < 0 || !sameDirectory(argv[d + 1] ?? '', dataDir)) return false;
  } catch {
    return false;
  }
  const started = processStartTime(lock.pid);
  return started !== undefined && Math.abs(started - lock.startedAt) < 2;
}

/** An owner record: a pid and the start time of that process, so that a reused pid is not taken for it. */
export function ownerRecord(): string {
  return `${process.pid}\n${processStartTime(process.pid) ?? ''}\n`;
}

/** True when the recorded owner is this very process or a live process with the recorded start time. */
export function ownerIsRunning(record: string): { pid: number; running: boolean } | undefined {
  const [pidText, startText] = record.split('\n');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (!isAlive(pid)) return { pid, running: false };
  const recorded = Number(startText);
  const started = processStartTime(pid);
  // An old record without a start time, or a live pid that started at another time, is somebody else now.
  const running =
    startText !== undefined &&
    startText !== '' &&
    started !== undefined &&
    Math.abs(started - recorded) < 0.5;
  return { pid, running };
}

export { isAlive };
