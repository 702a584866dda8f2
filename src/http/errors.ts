export interface AppErrorOptions {
  /** The HTTP status it answers with. */
  status: number;
  detail: string;
  /** The machine-readable code of the contract's catalogue (`BOOK_NOT_FOUND`, `RATE_LIMITED`, …). */
  code: string;
  /** The request field it is about, when there is one. */
  field?: string;
  /** More keys of the error body (e.g. the items short of stock). */
  extra?: Record<string, unknown>;
  /** Response headers that go with it (`Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
}

/**
 * The one domain error: the error handler renders it as `{"detail", "code"[, "field"]}` plus any extra keys.
 * Each module names its own in `<module>.errors.ts`; the helpers below are the common statuses.
 */
export class AppError extends Error {
  readonly statusCode: number;
  readonly detail: string;
  readonly code: string;
  readonly field?: string;
  readonly extra?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(opts: AppErrorOptions) {
    super(opts.detail);
    this.name = 'AppError';
    this.statusCode = opts.status;
    this.detail = opts.detail;
    this.code = opts.code;
    this.field = opts.field;
    this.extra = opts.extra;
    this.headers = opts.headers;
  }
}

export const badRequest = (detail: string, code: string, field?: string) =>
  new AppError({ status: 400, detail, code, field });
/** 401 with the challenge header RFC 6750 asks for. */
export const unauthorized = (detail: string, code: string) =>
  new AppError({ status: 401, detail, code, headers: { 'WWW-Authenticate': 'Bearer' } });
export const forbidden = (detail: string, code: string, field?: string) =>
  new AppError({ status: 403, detail, code, field });
export const notFound = (detail: string, code: string, field?: string) =>
  new AppError({ status: 404, detail, code, field });
export const conflict = (detail: string, code: string, field?: string) =>
  new AppError({ status: 409, detail, code, field });

/** 422 entry shaped like Pydantic's, so that clients of the reference read ours the same way. */
export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** Thrown by services for a value that only the service can judge (answers 422 VALIDATION_ERROR). */
export class RequestValidationError extends Error {
  readonly statusCode = 422;
  constructor(public readonly issues: ValidationIssue[]) {
    super('Request validation failed');
    this.name = 'RequestValidationError';
  }
}
