import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const base = { DATA_DIR: '/tmp/bookstore-config-test', SECRET_KEY: 'k'.repeat(32) };

describe('configuration', () => {
  it('has a safe default for every setting in development', () => {
    const c = loadConfig({ DATA_DIR: base.DATA_DIR });
    expect(c.PORT).toBe(8000);
    expect(c.HOST).toBe('127.0.0.1');
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.ACCESS_TOKEN_EXPIRE_MINUTES).toBe(15);
    expect(c.ALLOWED_ORIGINS).toEqual(['http://localhost:3000', 'http://127.0.0.1:3000']);
    expect(c.PUBLIC_BASE_URL).toBe('http://127.0.0.1:8000');
    expect(c.SECRET_KEY.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({ DATA_DIR: base.DATA_DIR }).SECRET_KEY).toBe(c.SECRET_KEY); // kept in DATA_DIR
    expect(c.WORKER).toBe('embedded');
  });

  it('names every bad variable in one error', () => {
    try {
      loadConfig({ ...base, PORT: 'eighty', MOCK_PAYMENT_DECLINE_RATE: '2', WORKER: 'sometimes' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).message;
      expect(text).toContain('PORT');
      expect(text).toContain('MOCK_PAYMENT_DECLINE_RATE');
      expect(text).toContain('WORKER');
    }
  });

  it('requires a secret of at least 32 bytes in production', () => {
    expect(() => loadConfig({ DATA_DIR: base.DATA_DIR, NODE_ENV: 'production' })).toThrow(/SECRET_KEY/);
    expect(() => loadConfig({ ...base, SECRET_KEY: 'short' })).toThrow(/SECRET_KEY/);
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).isProduction).toBe(true);
  });

  it('accepts allowed origins as a comma-separated or a JSON list', () => {
    expect(
      loadConfig({ ...base, ALLOWED_ORIGINS: 'http://a.example, http://b.example' }).ALLOWED_ORIGINS,
    ).toEqual(['http://a.example', 'http://b.example']);
    expect(loadConfig({ ...base, ALLOWED_ORIGINS: '["http://c.example"]' }).ALLOWED_ORIGINS).toEqual([
      'http://c.example',
    ]);
  });

  it('bounds database work by default and accepts other bounds in milliseconds', () => {
    const c = loadConfig(base);
    expect([
      c.DB_STATEMENT_TIMEOUT_MS,
      c.DB_LOCK_TIMEOUT_MS,
      c.DB_CONNECT_TIMEOUT_MS,
      c.DB_LONG_STATEMENT_TIMEOUT_MS,
    ]).toEqual([5000, 3000, 5000, 120_000]);
    expect(loadConfig({ ...base, DB_STATEMENT_TIMEOUT_MS: '0' }).DB_STATEMENT_TIMEOUT_MS).toBe(0);
    expect(() => loadConfig({ ...base, DB_LOCK_TIMEOUT_MS: '2.5' })).toThrow(/DB_LOCK_TIMEOUT_MS/);
    expect(() => loadConfig({ ...base, DB_CONNECT_TIMEOUT_MS: '0' })).toThrow(/DB_CONNECT_TIMEOUT_MS/);
  });
});

describe('restock policy settings', () => {
  it('default to broadcast with a one-day hold, and refuse an unknown policy or a hold outside 10..604800', () => {
    const c = loadConfig(base);
    expect(c.RESTOCK_POLICY).toBe('broadcast');
    expect(c.RESTOCK_HOLD_SECONDS).toBe(86400);
    const fifo = loadConfig({ ...base, RESTOCK_POLICY: 'fifo', RESTOCK_HOLD_SECONDS: '600' });
    expect([fifo.RESTOCK_POLICY, fifo.RESTOCK_HOLD_SECONDS]).toEqual(['fifo', 600]);
    for (const bad of [
      { RESTOCK_POLICY: 'lottery' },
      { RESTOCK_HOLD_SECONDS: '9' },
      { RESTOCK_HOLD_SECONDS: '604801' },
      { RESTOCK_HOLD_SECONDS: 'a day' },
    ]) {
      expect(() => loadConfig({ ...base, ...bad })).toThrow(new RegExp(Object.keys(bad)[0]!));
    }
  });
});
