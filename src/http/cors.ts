/**
 * CORS for the browser storefront, computed once from the settings: what @fastify/cors did with the same options
 * (it copied its option object and built closures on every request), header for header:
 *
 * - an answer carries `Vary: Origin` (it depends on the Origin), and `Access-Control-Allow-Origin` with the
 *   request's origin when that origin is allowed; when ALLOWED_ORIGINS lists `*`, every answer carries
 *   `Access-Control-Allow-Origin: *` instead and no Vary;
 * - a request with an `Origin` gets `Access-Control-Allow-Credentials: true`; one without gets no other CORS header;
 * - a preflight (OPTIONS) is answered here, before any route or guard: 204 with the allowed methods and headers,
 *   or 400 when it has no `Origin` or no `Access-Control-Request-Method`.
 */
export interface CorsOptions {
  origins: readonly string[];
  methods: readonly string[];
  allowedHeaders: readonly string[];
}

interface CorsReply {
  header(name: string, value: string): unknown;
  code(status: number): CorsReply;
  type(contentType: string): CorsReply;
  send(payload?: string): unknown;
}

export function corsPolicy(opts: CorsOptions) {
  const anyOrigin = opts.origins.includes('*');
  const allowed = new Set(opts.origins);
  const methods = opts.methods.join(', ');
  const allowedHeaders = opts.allowedHeaders.join(', ');

  /**
   * Sets the CORS headers of an answer; for a preflight also answers it and returns true (the request goes no
   * further).
   */
  return (
    request: { method: string; headers: Record<string, string | string[] | undefined> },
    reply: CorsReply,
  ): boolean => {
    const origin = request.headers.origin;
    if (anyOrigin) reply.header('access-control-allow-origin', '*');
    else {
      reply.header('vary', 'Origin');
      if (typeof origin === 'string' && allowed.has(origin))
        reply.header('access-control-allow-origin', origin);
    }
    if (origin !== undefined) reply.header('access-control-allow-credentials', 'true');
    if (request.method !== 'OPTIONS') return false;
    if (!origin || !request.headers['access-control-request-method']) {
      void reply.code(400).type('text/plain').send('Invalid Preflight Request');
      return true;
    }
    reply.header('access-control-allow-methods', methods);
    reply.header('access-control-allow-headers', allowedHeaders);
    void reply.code(204).header('content-length', '0');
    void reply.send();
    return true;
  };
}
