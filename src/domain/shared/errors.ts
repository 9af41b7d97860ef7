/**
 * The error catalogue: every error Riposte reports to a client has a stable `code`, an HTTP status and a
 * message. Clients match on `code`; messages are for people.
 */
export const ErrorCatalogue = {
  RIPOSTE_VALIDATION: { status: 400, title: 'Invalid request' },
  RIPOSTE_UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  RIPOSTE_FORBIDDEN: { status: 403, title: 'Forbidden' },
  RIPOSTE_NOT_FOUND: { status: 404, title: 'Not found' },
  RIPOSTE_CONFLICT: { status: 409, title: 'Conflict' },
  RIPOSTE_ILLEGAL_TRANSITION: { status: 409, title: 'Illegal transition' },
  RIPOSTE_PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  RIPOSTE_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RIPOSTE_UNPROCESSABLE: { status: 422, title: 'Unprocessable' },
  RIPOSTE_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  RIPOSTE_UNAVAILABLE: { status: 503, title: 'Unavailable' },
  RIPOSTE_INTERNAL: { status: 500, title: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ErrorCatalogue;

/** One problem found in an input: where (a path or a line/column) and what. */
export interface ProblemDetail {
  path?: string;
  line?: number;
  column?: number;
  message: string;
  hint?: string;
}

/** An error with a catalogue code; the HTTP edge turns it into a problem body `{ code, message, details }`. */
export class RiposteError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ProblemDetail[];
  /** When to try again (a 429, a 503): the HTTP edge sends it as `Retry-After`. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: ProblemDetail[]; cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'RiposteError';
    this.code = code;
    this.status = ErrorCatalogue[code].status;
    this.details = options.details ?? [];
    this.retryAfterMs = options.retryAfterMs;
  }
}

export const notFound = (what: string, id: string): RiposteError =>
  new RiposteError('RIPOSTE_NOT_FOUND', `${what} ${id} does not exist`);

export const invalid = (message: string, details: ProblemDetail[] = []): RiposteError =>
  new RiposteError('RIPOSTE_VALIDATION', message, { details });
