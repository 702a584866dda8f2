import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/helpers.js';

const STORE = 'http://localhost:3000';

const t = useTestApp();
const any = useTestApp({ env: { ALLOWED_ORIGINS: '*' } });

const cors = (headers: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(headers).filter(([k]) => k.startsWith('access-control-') || k === 'vary'),
  );

describe('CORS with a list of origins', () => {
  it('answers an allowed origin with its origin, credentials and Vary: Origin', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health', headers: { origin: STORE } });
    expect(res.statusCode).toBe(200);
    expect(cors(res.headers)).toEqual({
      'access-control-allow-origin': STORE,
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
  });

  it('names no origin for another one, and says the answer varies by Origin even without one', async () => {
    const other = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'http://evil.example' },
    });
    expect(cors(other.headers)).toEqual({ 'access-control-allow-credentials': 'true', vary: 'Origin' });
    const none = await t.app.inject({ method: 'GET', url: '/books/0' });
    expect(none.statusCode).toBe(404);
    expect(cors(none.headers)).toEqual({ vary: 'Origin' });
  });

  it('answers a preflight with 204, the allowed methods and headers, before any route or guard', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/cart/items',
      headers: { origin: STORE, 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers['content-length']).toBe('0');
    expect(cors(res.headers)).toEqual({
      'access-control-allow-origin': STORE,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, POST, PUT, DELETE, PATCH, OPTIONS',
      'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key',
      vary: 'Origin',
    });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers a preflight without an Origin with 400', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/books',
      headers: { 'access-control-request-method': 'GET' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('Invalid Preflight Request');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('sends no CORS headers with a trailing-slash redirect', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/', headers: { origin: STORE } });
    expect(res.statusCode).toBe(307);
    expect(cors(res.headers)).toEqual({});
  });
});

describe('CORS with ALLOWED_ORIGINS=*', () => {
  it('allows every origin with *, on answers with and without an Origin, and adds no Vary', async () => {
    const withOrigin = await any.app.inject({ method: 'GET', url: '/health', headers: { origin: STORE } });
    expect(cors(withOrigin.headers)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-allow-credentials': 'true',
    });
    const without = await any.app.inject({ method: 'GET', url: '/health' });
    expect(cors(without.headers)).toEqual({ 'access-control-allow-origin': '*' });
  });
});
