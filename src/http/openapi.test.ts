import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/helpers.js';

/**
 * The component schemas of the reference (FastAPI) document, with the fields the contract gives them. Clients
 * generate their types from /openapi.json (openapi-typescript) and import these by name.
 */
const REFERENCE_SCHEMAS: Record<string, string[]> = {
  AdminReviewAuthor: ['user_id', 'display_name'],
  AdminReviewBook: ['book_id', 'title'],
  AdminReviewEntry: ['id', 'rating', 'text', 'created_at', 'updated_at', 'author', 'book'],
  AdminReviewListResponse: ['items', 'total_count', 'page', 'per_page', 'total_pages'],
  AdminUserResponse: ['id', 'email', 'full_name', 'role', 'is_active', 'created_at'],
  BookCreate: [
    'title',
    'author',
    'price',
    'isbn',
    'genre_id',
    'description',
    'cover_image_url',
    'publish_date',
  ],
  BookDetailResponse: [
    'id',
    'title',
    'author',
    'price',
    'isbn',
    'genre_id',
    'description',
    'cover_image_url',
    'publish_date',
    'stock_quantity',
    'avg_rating',
    'review_count',
    'in_stock',
  ],
  BookListResponse: ['items', 'total', 'page', 'size'],
  BookResponse: [
    'id',
    'title',
    'author',
    'price',
    'isbn',
    'genre_id',
    'description',
    'cover_image_url',
    'publish_date',
    'stock_quantity',
  ],
  BookUpdate: [
    'title',
    'author',
    'price',
    'isbn',
    'genre_id',
    'description',
    'cover_image_url',
    'publish_date',
  ],
  BulkDeleteRequest: ['review_ids'],
  BulkDeleteResponse: ['deleted_count'],
  CartItemAdd: ['book_id', 'quantity'],
  CartItemResponse: ['id', 'book_id', 'quantity', 'book'],
  CartItemUpdate: ['quantity'],
  CartResponse: ['items', 'total_items', 'total_price'],
  CheckoutRequest: ['force_payment_failure'],
  GenreCreate: ['name'],
  GenreResponse: ['id', 'name'],
  GoogleTokenRequest: ['id_token'],
  HTTPValidationError: ['detail'],
  LoginRequest: ['email', 'password'],
  LowStockBookEntry: ['book_id', 'title', 'author', 'current_stock', 'threshold'],
  LowStockResponse: ['threshold', 'total_low_stock', 'items'],
  OrderItemBookSummary: ['id', 'title', 'author', 'cover_image_url', 'price'],
  OrderItemResponse: ['id', 'book_id', 'quantity', 'unit_price', 'book'],
  OrderResponse: ['id', 'status', 'created_at', 'items', 'total_price'],
  PreBookCreate: ['book_id'],
  PreBookListResponse: ['items'],
  PreBookResponse: [
    'id',
    'book_id',
    'book_title',
    'book_author',
    'status',
    'created_at',
    'notified_at',
    'cancelled_at',
  ],
  RefreshRequest: ['refresh_token'],
  ReviewAuthorSummary: ['user_id', 'display_name', 'avatar_url'],
  ReviewBookSummary: ['book_id', 'title', 'cover_image_url'],
  ReviewCreate: ['rating', 'text'],
  ReviewListResponse: ['items', 'total', 'page', 'size'],
  ReviewResponse: [
    'id',
    'book_id',
    'user_id',
    'rating',
    'text',
    'verified_purchase',
    'created_at',
    'updated_at',
    'author',
    'book',
  ],
  ReviewUpdate: ['rating', 'text'],
  SalesSummaryResponse: ['period', 'revenue', 'order_count', 'aov', 'delta_percentage'],
  StockUpdate: ['quantity'],
  TokenResponse: ['access_token', 'refresh_token', 'token_type'],
  TopBookEntry: ['book_id', 'title', 'author', 'total_revenue', 'units_sold'],
  TopBooksResponse: ['sort_by', 'items'],
  UserCreate: ['email', 'password'],
  UserListResponse: ['items', 'total_count', 'page', 'per_page', 'total_pages'],
  ValidationError: ['loc', 'msg', 'type'],
  WishlistAdd: ['book_id'],
  WishlistItemResponse: ['id', 'book_id', 'added_at', 'book'],
  WishlistResponse: ['items'],
};

/** Our additions, under names of their own. */
const OWN_SCHEMAS = [
  'AdminOrderResponse',
  'AdminPreBookListResponse',
  'AdminPreBookResponse',
  'CartBookSummary',
  'DuplicateReviewResponse',
  'ErrorResponse',
  'HealthResponse',
  'ImageUploadResponse',
  'NotificationListResponse',
  'NotificationResponse',
  'PreBookDemandItem',
  'PreBookDemandListResponse',
  'ReadAllResponse',
  'ReadinessResponse',
  'RestockPreviewResponse',
  'StockChangeListResponse',
  'StockChangeResponse',
  'StreamTicketResponse',
  'WishlistBookSummary',
];

interface Schema {
  $ref?: string;
  type?: string | string[];
  items?: Schema;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
}
interface Media {
  schema?: Schema;
}
interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; description?: string }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { description?: string; content?: Record<string, Media> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const t = useTestApp();
let doc: Document;

beforeAll(async () => {
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json<Document>();
});

function operations(): { name: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${p}`, op })),
  );
}

const schemaOf = (op: Operation | undefined, status: number | string) =>
  op?.responses[String(status)]?.content?.['application/json']?.schema;

describe('OpenAPI component schemas', () => {
  it('names every schema of the reference, with the fields the contract gives it', () => {
    const schemas = doc.components.schemas;
    const missing = Object.keys(REFERENCE_SCHEMAS).filter((name) => !(name in schemas));
    expect(missing, 'component schemas the reference has and we lost').toEqual([]);
    for (const [name, fields] of Object.entries(REFERENCE_SCHEMAS)) {
      expect(Object.keys(schemas[name]!.properties ?? {}), `fields of ${name}`).toEqual(
        expect.arrayContaining(fields),
      );
    }
  });

  it('names our own additions, and nothing twice (no "…Input" copies)', () => {
    const names = Object.keys(doc.components.schemas);
    expect(names).toEqual(expect.arrayContaining(OWN_SCHEMAS));
    const copies = names.filter((n) => n.endsWith('Input') && names.includes(n.slice(0, -'Input'.length)));
    expect(copies).toEqual([]);
  });

  it('references the named schemas from the operations and from each other', () => {
    const p = doc.paths;
    const json = (op: Operation | undefined) => op?.requestBody?.content['application/json']?.schema;
    expect(schemaOf(p['/books']?.get, 200)).toEqual(ref('BookListResponse'));
    expect(json(p['/books']?.post)).toEqual(ref('BookCreate'));
    expect(schemaOf(p['/books']?.post, 201)).toEqual(ref('BookResponse'));
    expect(json(p['/books/{book_id}']?.put)).toEqual(ref('BookUpdate'));
    expect(schemaOf(p['/books/{book_id}']?.get, 200)).toEqual(ref('BookDetailResponse'));
    expect(schemaOf(p['/books/{book_id}']?.get, 404)).toEqual(ref('ErrorResponse'));
    expect(schemaOf(p['/books']?.get, 422)).toEqual(ref('HTTPValidationError'));
    expect(json(p['/auth/register']?.post)).toEqual(ref('UserCreate'));
    expect(schemaOf(p['/auth/register']?.post, 201)).toEqual(ref('TokenResponse'));
    expect(json(p['/auth/refresh']?.post)).toEqual(ref('RefreshRequest'));
    expect(json(p['/auth/logout']?.post)).toEqual(ref('RefreshRequest'));
    expect(schemaOf(p['/cart']?.get, 200)).toEqual(ref('CartResponse'));
    expect(json(p['/cart/items']?.post)).toEqual(ref('CartItemAdd'));
    expect(schemaOf(p['/genres']?.get, 200)).toEqual({ type: 'array', items: ref('GenreResponse') });
    expect(schemaOf(p['/orders']?.get, 200)).toEqual({ type: 'array', items: ref('OrderResponse') });
    expect(schemaOf(p['/admin/orders']?.get, 200)).toEqual({
      type: 'array',
      items: ref('AdminOrderResponse'),
    });
    expect(schemaOf(p['/admin/users']?.get, 200)).toEqual(ref('UserListResponse'));
    expect(schemaOf(p['/admin/reviews']?.get, 200)).toEqual(ref('AdminReviewListResponse'));
    expect(json(p['/admin/reviews/bulk']?.delete)).toEqual(ref('BulkDeleteRequest'));
    expect(schemaOf(p['/admin/analytics/inventory/low-stock']?.get, 200)).toEqual(ref('LowStockResponse'));
    expect(schemaOf(p['/admin/books/{book_id}/stock-history']?.get, 200)).toEqual(
      ref('StockChangeListResponse'),
    );

    const s = doc.components.schemas;
    expect(s.BookListResponse?.properties?.items?.items).toEqual(ref('BookResponse'));
    expect(s.CartResponse?.properties?.items?.items).toEqual(ref('CartItemResponse'));
    expect(s.OrderResponse?.properties?.items?.items).toEqual(ref('OrderItemResponse'));
    expect(s.OrderItemResponse?.properties?.book?.anyOf).toContainEqual(ref('OrderItemBookSummary'));
    expect(s.ReviewResponse?.properties?.author).toEqual(ref('ReviewAuthorSummary'));
    expect(s.ReviewResponse?.properties?.book).toEqual(ref('ReviewBookSummary'));
    expect(s.AdminReviewEntry?.properties?.author).toEqual(ref('AdminReviewAuthor'));
    expect(s.TopBooksResponse?.properties?.items?.items).toEqual(ref('TopBookEntry'));
    expect(s.HTTPValidationError?.properties?.detail?.items).toEqual(ref('ValidationError'));
  });

  it('refers to a named schema for every JSON body it reads or writes', () => {
    const named = (schema: Schema | undefined): boolean =>
      schema !== undefined &&
      (schema.$ref !== undefined ||
        (schema.type === 'array' && named(schema.items)) ||
        (schema.anyOf !== undefined && schema.anyOf.every(named)));
    const inline: string[] = [];
    for (const { name, op } of operations()) {
      if (
        op.requestBody?.content['application/json'] &&
        !named(op.requestBody.content['application/json'].schema)
      )
        inline.push(`${name} request body`);
      for (const [status, response] of Object.entries(op.responses)) {
        const media = response.content?.['application/json'];
        if (media && !named(media.schema)) inline.push(`${name} ${status}`);
      }
    }
    // Give the Zod schema an id: `.meta({ id: 'SomethingResponse' })`.
    expect(inline, 'JSON bodies without a named component schema').toEqual([]);
  });
});

describe('OpenAPI operations', () => {
  it('gives every operation a unique operationId', () => {
    const ops = operations();
    const missing = ops.filter(({ op }) => !op.operationId).map(({ name }) => name);
    expect(missing, 'operations without operationId').toEqual([]);
    const ids = ops.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/books']?.get?.operationId).toBe('listBooks');
  });

  it('names the collection caps among the 409 answers of the additions they refuse', () => {
    const conflictOf = (path: string, method: 'post') =>
      doc.paths[path]?.[method]?.responses['409']?.description;
    expect(conflictOf('/cart/items', 'post')).toContain('CART_LIMIT_REACHED');
    expect(conflictOf('/wishlist', 'post')).toContain('WISHLIST_LIMIT_REACHED');
    expect(conflictOf('/prebooks', 'post')).toContain('PREBOOK_LIMIT_REACHED');
    expect(conflictOf('/prebooks/{prebook_id}/requeue', 'post')).toContain('PREBOOK_LIMIT_REACHED');
  });

  it('describes every response and every parameter', () => {
    const undescribed: string[] = [];
    for (const { name, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        // Set in the route's schema: `responseDescriptions: { 200: '…' }`.
        if (!response.description || response.description === 'Default Response')
          undescribed.push(`${name} → ${status}`);
      }
      for (const param of op.parameters ?? []) {
        // `.meta({ description: '…' })` on the field of the params/querystring/headers schema.
        if (!param.description) undescribed.push(`${name} ${param.in} parameter ${param.name}`);
      }
    }
    expect(undescribed).toEqual([]);
  });

  it('documents the errors the routes answer', () => {
    const statuses = (p: string, method: string) => Object.keys(doc.paths[p]?.[method]?.responses ?? {});
    expect(statuses('/books', 'post')).toEqual(
      expect.arrayContaining(['201', '401', '403', '404', '409', '413', '415', '422']),
    );
    expect(statuses('/auth/login', 'post')).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '422', '429']),
    );
    expect(statuses('/orders/checkout', 'post')).toEqual(
      expect.arrayContaining(['201', '401', '402', '403', '409', '422']),
    );
    expect(schemaOf(doc.paths['/orders/checkout']?.post, 422)?.anyOf).toEqual([
      ref('HTTPValidationError'),
      ref('ErrorResponse'),
    ]);
    expect(schemaOf(doc.paths['/books/{book_id}/reviews']?.post, 409)).toEqual(
      ref('DuplicateReviewResponse'),
    );
    const authenticated = operations().filter(({ op }) => (op as { security?: unknown[] }).security?.length);
    expect(authenticated.length).toBeGreaterThan(20);
    for (const { name, op } of authenticated) expect(Object.keys(op.responses), name).toContain('401');
  });
});

describe('Type generation with openapi-typescript', () => {
  it('generates TypeScript that names the schemas and compiles', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bookstore-openapi-'));
    try {
      await writeFile(path.join(dir, 'openapi.json'), JSON.stringify(doc));
      await promisify(execFile)(
        path.resolve('node_modules/.bin/openapi-typescript'),
        [path.join(dir, 'openapi.json'), '-o', path.join(dir, 'api.d.ts')],
        { timeout: 60_000 },
      );
      const generated = await readFile(path.join(dir, 'api.d.ts'), 'utf8');
      expect(generated).toContain('export interface components');
      expect(generated).toMatch(/\n {8}BookResponse: \{/);

      const names = Object.keys(REFERENCE_SCHEMAS).map((n) => `'${n}'`);
      await writeFile(
        path.join(dir, 'use.ts'),
        `import type { components, paths } from './api';
type Schemas = components['schemas'];
export const names: (keyof Schemas)[] = [${names.join(', ')}];
const book: Schemas['BookResponse'] = {
  id: 1, title: 'Dune', author: 'Frank Herbert', price: '9.99', isbn: null, genre_id: null,
  description: null, cover_image_url: null, publish_date: null, stock_quantity: 0,
};
export const page: paths['/books']['get']['responses'][200]['content']['application/json'] = {
  items: [book], total: 1, page: 1, size: 20,
};
export const register: Schemas['UserCreate'] = { email: 'reader@example.com', password: 'secret123' };
export const detail: Schemas['ValidationError']['loc'] = ['body', 'email'];
// @ts-expect-error price is a string on the wire
export const wrong: Schemas['BookResponse'] = { ...book, price: 9.99 };
`,
      );
      const program = ts.createProgram([path.join(dir, 'use.ts')], {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
      });
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Two processes' worth of work (the generator, then the compiler): slow on a loaded machine.
  }, 180_000);
});

describe('GET /', () => {
  it('redirects a browser to the documentation', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html,*/*' } });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/docs');
  });

  it('answers other clients with the links to the documentation', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      name: 'Bookstore API',
      version: '1.0.0',
      docs: 'http://127.0.0.1:8000/docs',
      redoc: 'http://127.0.0.1:8000/redoc',
      openapi: 'http://127.0.0.1:8000/openapi.json',
      health: 'http://127.0.0.1:8000/health',
    });
    expect(doc.paths['/']).toBeUndefined();
  });
});
