import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers.js';
import { embeddedDir, runningEmbeddedUrl } from './database.js';
import { isPostmasterOf, ownerIsRunning, ownerRecord, processStartTime } from './process-identity.js';

describe('process identity', () => {
  it('does not take a live unrelated process named by a pid file for the postmaster, nor connect to its port', async () => {
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    await new Promise((r) => stranger.once('spawn', r));
    try {
      const config = testConfig();
      const dir = embeddedDir(config);
      mkdirSync(dir, { recursive: true });
      const startedAt = Math.floor(processStartTime(stranger.pid!)!);
      // Even with the right start time and folder recorded, the process is not a postmaster of that folder.
      writeFileSync(path.join(dir, 'postmaster.pid'), `${stranger.pid}\n${dir}\n${startedAt}\n5432\n`);
      expect(isPostmasterOf({ pid: stranger.pid!, dataDir: dir, startedAt, port: 5432 }, dir)).toBe(false);
      expect(runningEmbeddedUrl(config)).toBeUndefined();
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('knows its own owner record, and not a reused pid with another start time', () => {
    expect(ownerIsRunning(ownerRecord())).toEqual({ pid: process.pid, running: true });
    expect(ownerIsRunning(`${process.pid}\n12345\n`)).toEqual({ pid: process.pid, running: false });
    expect(ownerIsRunning(`${process.pid}\n`)).toEqual({ pid: process.pid, running: false });
  });
});
