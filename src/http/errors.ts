/** The one domain error: the error handler renders it as `{"detail", "code"[, "field"]}` plus any extra keys. */
export class AppError extends Error {
  constructor(
    public readonly statusCode: number,
    public readonly detail: string,
    public readonly code: string,
    public readonly field?: string,
    public readonly extra?: Record<string, unknown>,
    public readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const notFound = (detail: string, code: string, field?: string) =>
  new AppError(404, detail, code, field);
export const conflict = (detail: string, code: string, field?: string) =>
  new AppError(409, detail, code, field);
export const forbidden = (detail: string, code: string, field?: string) =>
  new AppError(403, detail, code, field);

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
