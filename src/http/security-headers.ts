/**
 * Security headers for an API with a documentation UI, set by the app's onRequest hook from header sets computed once
 * (the equivalent of @fastify/helmet's, measured here at a fraction of its per-request cost).
 *
 * - API answers (JSON) and anything unknown: a CSP that allows nothing (a JSON answer opened in a browser runs
 *   nothing, and cannot be framed), `nosniff`, no referrer, no cross-origin embedding; the document-only headers
 *   (DOCUMENT_HEADERS) go with HTML pages only.
 * - /docs (Swagger UI) and /redoc (ReDoc): scripts from this origin only (both bundles are served from npm
 *   packages), inline styles (both UIs set style attributes), blob: workers (ReDoc's search index), images from
 *   here or data: URIs, fetches of /openapi.json from here.
 * - /uploads/: images that the storefront on another origin shows, so cross-origin embedding is allowed; still
 *   `nosniff` and a CSP that allows nothing, so that a file can never be run as a page or a script.
 * - /dev/mailbox/: stored e-mails rendered as HTML: inline styles and data: images only, never a script.
 */
const common = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/**
 * Headers that only mean something for a document a browser renders (an HTML page: the docs, the mailbox, the
 * one-click cancel pages), not for a JSON answer or an image: sent with the pages only, so that the ~10 000 JSON
 * answers a second do not each carry ~170 bytes of them (which every client, proxy and load generator parses).
 */
export const DOCUMENT_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'x-dns-prefetch-control': 'off',
  'x-permitted-cross-domain-policies': 'none',
  'origin-agent-cluster': '?1',
} as const;

/** A JSON answer (with nosniff, never rendered as HTML) needs no base-uri or form-action of its own. */
const NOTHING = "default-src 'none'; frame-ancestors 'none'";

export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self' blob:",
].join('; ');

const MAILBOX_CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The header set of a request URL, chosen from sets frozen once (the app's onRequest hook sets it). */
export function securityHeaders(opts: { https: boolean }): (url: string) => Readonly<Record<string, string>> {
  // HSTS only means something over HTTPS; on a plain-HTTP development server it would be ignored anyway.
  const hsts: Record<string, string> = opts.https
    ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' }
    : {};
  const build = (csp: string, corp: string, document: boolean): Readonly<Record<string, string>> =>
    Object.freeze({
      ...common,
      ...(document ? DOCUMENT_HEADERS : {}),
      ...hsts,
      'content-security-policy': csp,
      'cross-origin-resource-policy': corp,
    });
  const api = build(NOTHING, 'same-origin', false);
  const docs = build(DOCS_CSP, 'same-origin', true);
  const uploads = build(NOTHING, 'cross-origin', false);
  const mailbox = build(MAILBOX_CSP, 'same-origin', true);

  return (url) => {
    if (url.startsWith('/docs') || url.startsWith('/redoc')) return docs;
    if (url.startsWith('/uploads/')) return uploads;
    if (url.startsWith('/dev/mailbox/')) return mailbox;
    return api;
  };
}
