import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestContext } from '../../test/helpers.js';

let t: TestContext;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('HTTP basics', () => {
  it('answers an unknown path with 404 HTTP_404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/no-such-thing' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Not Found', code: 'HTTP_404' });
  });

  it('answers a wrong method on a known path with 405 and an Allow header', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/health' });
    expect(res.statusCode).toBe(405);
    expect(res.json()).toEqual({ detail: 'Method Not Allowed', code: 'HTTP_405' });
    expect(res.headers.allow).toContain('GET');
  });

  it('redirects a trailing slash with 307 to the canonical path, keeping the query', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/?x=1' });
    expect(res.statusCode).toBe(307);
    expect(res.headers.location).toBe('/health?x=1');
  });

  it('reports liveness without touching the database', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', version: '1.0.0' });
  });

  it('reports readiness when the database answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: 'ok' });
  });

  it('serves the OpenAPI document and the documentation page', async () => {
    const doc = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json().info).toMatchObject({ title: 'Bookstore API', version: '1.0.0' });
    expect(Object.keys(doc.json().paths)).toContain('/health/ready');
    const docs = await t.app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(docs.statusCode);
  });

  it('answers CORS preflight for an allowed origin only', async () => {
    const ok = await t.app.inject({
      method: 'OPTIONS',
      url: '/health',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' },
    });
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    const other = await t.app.inject({
      method: 'OPTIONS',
      url: '/health',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
