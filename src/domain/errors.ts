/**
 * Typed errors shared by every layer. The API maps them to `{ error: { code, message, details } }`
 * with the HTTP status below; the CLI prints `code: message`. Domain code throws these, never
 * plain Error, for anything a user can cause.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED' // 400: bad input; details.field names the field
  | 'UNAUTHENTICATED' // 401
  | 'FORBIDDEN' // 403: missing permission
  | 'OUT_OF_SCOPE' // 403: entity outside the user's org-unit data scope
  | 'NOT_FOUND' // 404
  | 'CONFLICT' // 409: duplicate, concurrent edit, state does not allow
  | 'LOCKED' // 423: account locked after failed logins
  | 'PAYLOAD_TOO_LARGE' // 413
  | 'RATE_LIMITED' // 429
  | 'UNSUPPORTED'; // 422: understood but not supported (e.g. unknown URDB unit)

export const httpStatusOf: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  OUT_OF_SCOPE: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LOCKED: 423,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNSUPPORTED: 422,
};

export interface ErrorDetails {
  /** dotted path of the offending input field, e.g. `usage.periods.PEAK` */
  field?: string;
  [k: string]: unknown;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Bad input: always names the field. */
export class ValidationError extends AppError {
  constructor(field: string, message: string, extra?: Record<string, unknown>) {
    super('VALIDATION_FAILED', `${field}: ${message}`, { field, ...extra });
    this.name = 'ValidationError';
  }
}

export const notFound = (what: string, id: string | number) =>
  new AppError('NOT_FOUND', `${what} ${id} not found`, { entity: what, id });
