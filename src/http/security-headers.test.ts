import { describe, expect, it } from 'vitest';
import { startTestApp, useAdmin, useTestApp } from '../../test/helpers.js';
import { DOCUMENT_HEADERS } from './security-headers.js';

const t = useTestApp();
const admin = useAdmin(t);

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('png body'),
]);

describe('security headers', () => {
  it('sends nosniff, no referrer, no framing and a CSP that allows nothing on API answers', async () => {
    for (const url of ['/health', '/books', '/no-such-thing']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      // The document-only headers go with HTML pages, not with JSON answers.
      for (const name of Object.keys(DOCUMENT_HEADERS))
        expect(res.headers[name], `${url} ${name}`).toBeUndefined();
    }
    // Errors produced before any route (a malformed body) carry them too.
    const bad = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sends no HSTS over plain HTTP, and HSTS when the public URL is https', async () => {
    const plain = await t.app.inject({ method: 'GET', url: '/health' });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    const tls = await startTestApp({ env: { PUBLIC_BASE_URL: 'https://api.bookstore.test' } });
    try {
      const res = await tls.app.inject({ method: 'GET', url: '/health' });
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+; includeSubDomains$/);
    } finally {
      await tls.close();
    }
  });

  it('lets the Swagger UI and ReDoc pages load scripts from this origin only', async () => {
    for (const url of ['/docs', '/docs/static/swagger-ui-bundle.js', '/redoc']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).not.toMatch(/script-src[^;]*(https:|\*|'unsafe-inline')/);
      expect(csp).toContain("connect-src 'self'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      for (const [name, value] of Object.entries(DOCUMENT_HEADERS))
        expect(res.headers[name], `${url} ${name}`).toBe(value);
    }
    expect(DOCUMENT_HEADERS).toMatchObject({
      'cross-origin-opener-policy': 'same-origin',
      'origin-agent-cluster': '?1',
    });
  });

  it('serves /redoc with only local scripts, and the pinned ReDoc bundle from the npm package', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/redoc' });
    expect(page.statusCode).toBe(200);
    const sources = [...page.body.matchAll(/<script[^>]*\bsrc="([^"]*)"/g)].map((m) => m[1]);
    expect(sources).toEqual(['/redoc/redoc.standalone.js']);
    expect(page.body).not.toMatch(/https?:\/\//);
    expect(page.body).not.toMatch(/<script>(?!<\/script>)/); // no inline script
    const bundle = await t.app.inject({ method: 'GET', url: '/redoc/redoc.standalone.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/^application\/javascript/);
    expect(bundle.body.length).toBeGreaterThan(100_000);
    expect(bundle.body).toContain('Redoc');
  });

  it('serves uploads with nosniff and a CSP that allows nothing, embeddable by the storefront', async () => {
    const boundary = '----security-headers-boundary';
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      PNG,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const up = await t.app.inject({
      method: 'POST',
      url: '/uploads/images',
      headers: { ...admin.auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(up.statusCode).toBe(200);
    const { pathname } = new URL(up.json<{ url: string }>().url);
    const file = await t.app.inject({ method: 'GET', url: pathname });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.headers['content-security-policy']).toContain("default-src 'none'");
    expect(file.headers['cross-origin-resource-policy']).toBe('cross-origin');
  });
});
