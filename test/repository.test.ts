import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const root = path.resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('what a newcomer reads', () => {
  it('README links only to files inside the repository, and they exist', () => {
    const readme = read('README.md');
    expect(readme).not.toMatch(/\.\.\/[\w.-]/);
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z]+:/i.test(target));
    expect(links).toContain('docs/differences.md');
    for (const target of links) {
      const resolved = path.resolve(root, target);
      expect(resolved.startsWith(root + path.sep), `${target} is outside the repository`).toBe(true);
      expect(existsSync(resolved), `${target} exists`).toBe(true);
    }
  });

  it('.env.example gives every setting it lists its default value', () => {
    const example: Record<string, string> = {};
    for (const line of read('.env.example').split('\n')) {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      // An empty value stands for "unset".
      if (match && match[2] !== '') example[match[1]!] = match[2]!;
    }
    expect(example.ACCESS_TOKEN_EXPIRE_MINUTES).toBe('15');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-env-example-'));
    const defaults = loadConfig({ DATA_DIR: dataDir });
    const fromExample = loadConfig({ ...example, DATA_DIR: dataDir });
    for (const key of Object.keys(example)) {
      if (key === 'DATA_DIR') continue;
      expect(fromExample[key as keyof typeof fromExample], key).toEqual(
        defaults[key as keyof typeof defaults],
      );
    }
  });
});

describe('dependencies', () => {
  it('installs no package that needs a newer Node than the project supports', () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
    const floor = semver.minVersion(pkg.engines.node)!.version;
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { engines?: Record<string, string> | string[] }>;
    };
    const tooNew = Object.entries(lock.packages)
      .filter(([name, entry]) => {
        const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
        return name !== '' && range !== undefined && !semver.satisfies(floor, range);
      })
      .map(([name, entry]) => `${name} (${JSON.stringify(entry.engines)})`);
    expect(tooNew, `packages that need more than Node ${floor}`).toEqual([]);
  });
});
