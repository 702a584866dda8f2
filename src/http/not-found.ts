import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './error-handler.js';

/** Route patterns by method, to tell a 405 (known path, other method) from a 404 and to drop trailing slashes. */
export function createRouteIndex() {
  const routes: { method: string; re: RegExp }[] = [];
  const toRegExp = (url: string) =>
    new RegExp(
      '^' +
        url
          .split('/')
          .map((seg) =>
            seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
          )
          .join('/') +
        '$',
    );
  return {
    add(methods: string | string[], url: string) {
      for (const m of Array.isArray(methods) ? methods : [methods])
        routes.push({ method: m, re: toRegExp(url) });
    },
    methodsFor(path: string): string[] {
      return [...new Set(routes.filter((r) => r.re.test(path)).map((r) => r.method))];
    },
  };
}

export type RouteIndex = ReturnType<typeof createRouteIndex>;

/** The answer to a request no route takes: 405 with `Allow` when the path exists under other methods, else 404. */
export function unroutedAnswer(routeIndex: RouteIndex) {
  return (request: FastifyRequest, reply: FastifyReply) => {
    const allowed = routeIndex.methodsFor(request.url.split('?', 1)[0] ?? '/');
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return sendError(
        reply,
        405,
        { detail: 'Method Not Allowed', code: 'HTTP_405' },
        { Allow: allowed.join(', ') },
      );
    }
    return sendError(reply, 404, { detail: 'Not Found', code: 'HTTP_404' });
  };
}
