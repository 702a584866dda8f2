import { describe, expect, it } from 'vitest';
import { createAdmin, useTestApp } from '../../test/helpers.js';

// Six bodies per route from one address: more than the default hourly limit of the account e-mail routes.
const t = useTestApp({ env: { ACCOUNT_EMAIL_RATE_LIMIT_PER_HOUR: '100' } });

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
    const res = await t.app.inject({
      method: 'GET',
      url: '/health/?x=1',
      headers: { host: 'evil.example' },
    });
    expect(res.statusCode).toBe(307);
    expect(res.headers.location).toBe('http://127.0.0.1:8000/health?x=1');
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

describe('request bodies and parameters', () => {
  const json = { 'content-type': 'application/json' };

  it('parses malformed JSON before authentication and answers 422 json_invalid', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/genres', headers: json, payload: '{"name": ' });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.detail[0]).toMatchObject({ type: 'json_invalid', msg: 'JSON decode error', input: {} });
    expect(body.detail[0].loc[0]).toBe('body');
    expect(typeof body.detail[0].loc[1]).toBe('number');
  });

  it('answers deeply nested JSON with 422 json_invalid on every route that takes a JSON body', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } }>>;
    }>();
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.requestBody?.content?.['application/json'] !== undefined)
        .map(([method, op]) => ({ method: method.toUpperCase(), url: path.replace(/\{[^}]+\}/g, '1'), op })),
    );
    expect(operations.length).toBeGreaterThan(10);
    const deep = (n: number) => [
      '['.repeat(n) + ']'.repeat(n),
      '{"email":' + '{"a":'.repeat(n) + '1' + '}'.repeat(n) + ',"password":"password123"}',
      '['.repeat(n), // deep and malformed as well
    ];
    let client = 0;
    for (const { method, url } of operations) {
      for (const payload of [...deep(100), ...deep(100_000)]) {
        client += 1;
        const res = await t.app.inject({
          method: method as 'POST',
          url,
          // A client address of its own for each request: the flood limits run before the body is parsed.
          remoteAddress: `10.77.${client >> 8}.${client & 255}`,
          headers: { 'content-type': 'application/json' },
          payload,
        });
        expect(res.statusCode, `${method} ${url}`).toBe(422);
        const body = res.json<{ code: string; detail: { type: string; loc: unknown[]; ctx: object }[] }>();
        expect(body.code).toBe('VALIDATION_ERROR');
        // The offset of the 65th opening bracket: 64 for the bare array, 9 + 63 * 5 inside `{"email":{"a":…`.
        const offset = payload.startsWith('[') ? 64 : 9 + 63 * 5;
        expect(body.detail).toEqual([
          {
            type: 'json_invalid',
            loc: ['body', offset],
            msg: 'JSON decode error',
            input: {},
            ctx: { error: 'Nesting deeper than 64 levels' },
          },
        ]);
      }
    }
    // Nesting up to the limit is parsed as usual (and then validated).
    const ok = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '['.repeat(64) + ']'.repeat(64),
    });
    expect(ok.statusCode).toBe(422);
    expect(ok.json<{ detail: { type: string }[] }>().detail[0]?.type).toBe('model_attributes_type');
  });

  it('treats a whitespace-only JSON body as invalid JSON and an empty one as missing', async () => {
    const admin = await createAdmin(t);
    const blank = await t.app.inject({ method: 'POST', url: '/genres', headers: json, payload: '   ' });
    expect(blank.statusCode).toBe(422);
    expect(blank.json().detail[0].type).toBe('json_invalid');
    const empty = await t.app.inject({ method: 'POST', url: '/genres', headers: { ...json, ...admin.auth } });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().detail).toEqual([
      { type: 'missing', loc: ['body'], msg: 'Field required', input: null },
    ]);
  });

  it('answers 415 for a body without a JSON content type, and ignores bodies on routes that take none', async () => {
    const admin = await createAdmin(t);
    const plain = await t.app.inject({
      method: 'POST',
      url: '/genres',
      headers: { 'content-type': 'text/plain', ...admin.auth },
      payload: '{"name":"Poetry"}',
    });
    expect(plain.statusCode).toBe(415);
    expect(plain.json()).toEqual({ detail: 'Unsupported Media Type', code: 'HTTP_415' });
    const ignored = await t.app.inject({
      method: 'GET',
      url: '/genres',
      headers: { 'content-type': 'text/plain' },
      payload: 'whatever',
    });
    expect(ignored.statusCode).toBe(200);
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/genres',
      headers: json,
      payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: 'Payload Too Large', code: 'HTTP_413' });
  });

  it('reports a non-integer path id as 422 int_parsing at its path location', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/books/abc' });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toEqual([
      {
        type: 'int_parsing',
        loc: ['path', 'book_id'],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
        input: 'abc',
      },
    ]);
  });

  it('reports an out-of-range integer once, with its real bound', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/books?size=9007199254740993' });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toHaveLength(1);
    expect(res.json().detail[0]).toMatchObject({
      type: 'less_than_equal',
      loc: ['query', 'size'],
      ctx: { le: 100 },
    });
  });

  it('keeps the last value of a repeated query parameter', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/books?page=1&page=3&size=5' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ page: 3, size: 5 });
  });

  it('redirects a trailing slash before matching a parameterised route', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/books/?q=dune',
      headers: { host: 'api.local:8000' },
    });
    expect(res.statusCode).toBe(307);
    expect(res.headers.location).toBe('http://127.0.0.1:8000/books?q=dune');
  });

  it('answers an OPTIONS request that is not a CORS preflight as an unsupported method', async () => {
    const res = await t.app.inject({ method: 'OPTIONS', url: '/books' });
    expect(res.statusCode).toBe(405);
    expect(res.json()).toEqual({ detail: 'Method Not Allowed', code: 'HTTP_405' });
    expect(res.headers.allow).toContain('GET');
  });

  it('sends no CORS headers to a request without an Origin', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('looks up an id beyond the database integer range as not found', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/books/99999999999' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('BOOK_NOT_FOUND');
  });

  it('redirects a trailing slash when the path exists under another method', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/cart/items/' });
    expect(res.statusCode).toBe(307);
    expect(res.headers.location).toBe('http://127.0.0.1:8000/cart/items');
  });

  it('reports a missing query parameter with a null input', async () => {
    const admin = await createAdmin(t);
    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/books/1/restock-preview',
      headers: admin.auth,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toEqual([
      { type: 'missing', loc: ['query', 'quantity'], msg: 'Field required', input: null },
    ]);
  });
});
