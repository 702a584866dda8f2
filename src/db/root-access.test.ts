import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { foldersDownTo, prepareDataDirForUser, RootAccessError, type RootFsOps } from './root-access.js';

const postgres = { uid: 101, gid: 104 };
const quiet = { warn: () => {} };

/** A file system of folders with modes, where the unprivileged user may enter only those listed as reachable. */
function fakeFs(modes: Record<string, number>, reachable: (p: string) => boolean) {
  const changes: string[] = [];
  const ops: RootFsOps = {
    mode: (dir) => modes[dir] ?? 0o755,
    chmod: (dir, mode) => {
      changes.push(`chmod ${mode.toString(8)} ${dir}`);
      modes[dir] = mode;
    },
    chown: (dir, uid, gid) => void changes.push(`chown ${uid}:${gid} ${dir}`),
    mkdir: (dir) => void (modes[dir] ??= 0o755),
    firstInaccessible: (_user, paths) => paths.find((p) => !reachable(p) && !((modes[p] ?? 0) & 0o001)),
  };
  return { ops, changes };
}

const inside = (dataDir: string, change: string) => {
  const target = change.split(' ').at(-1)!;
  return target === dataDir || target.startsWith(dataDir + path.sep);
};

describe('preparing DATA_DIR for the postgres OS user (running as root)', () => {
  it('lists every folder from the root down', () => {
    expect(foldersDownTo('/srv/app/data')).toEqual(['/', '/srv', '/srv/app', '/srv/app/data']);
  });

  it('refuses, naming the first folder above DATA_DIR that postgres cannot enter, and changes nothing', () => {
    const { ops, changes } = fakeFs({ '/root': 0o700 }, (p) => p !== '/root');
    expect(() =>
      prepareDataDirForUser('/root/app/data', '/root/app/data/db', postgres, [], ops, quiet),
    ).toThrow(RootAccessError);
    expect(() =>
      prepareDataDirForUser('/root/app/data', '/root/app/data/db', postgres, [], ops, quiet),
    ).toThrow(
      /^running as root, .* cannot enter \/root \(above DATA_DIR=\/root\/app\/data, which is not changed\)/,
    );
    expect(changes).toEqual([]);
  });

  it('refuses when postgres cannot reach the server binaries, and changes nothing', () => {
    const { ops, changes } = fakeFs({ '/opt/app': 0o700 }, (p) => p !== '/opt/app');
    expect(() =>
      prepareDataDirForUser('/srv/data', '/srv/data/db', postgres, ['/opt/app/bin/postgres'], ops, quiet),
    ).toThrow(/cannot reach \/opt\/app:/);
    expect(changes).toEqual([]);
  });

  it('only ever changes DATA_DIR itself (o+x when postgres cannot enter it) and the cluster folder in it', () => {
    const { ops, changes } = fakeFs({ '/srv/data': 0o700 }, (p) => p !== '/srv/data');
    prepareDataDirForUser('/srv/data', '/srv/data/db', postgres, ['/usr/lib/pg/postgres'], ops, quiet);
    expect(changes).toEqual(['chmod 701 /srv/data', 'chown 101:104 /srv/data/db', 'chmod 700 /srv/data/db']);
    expect(changes.every((c) => inside('/srv/data', c))).toBe(true);
  });

  it('leaves a DATA_DIR that postgres can already enter as it is', () => {
    const { ops, changes } = fakeFs({ '/srv/data': 0o750 }, () => true);
    prepareDataDirForUser('/srv/data', '/srv/data/db', postgres, [], ops, quiet);
    expect(changes).toEqual(['chown 101:104 /srv/data/db', 'chmod 700 /srv/data/db']);
  });
});
