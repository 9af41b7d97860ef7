/** A problem body, as every Riposte 4xx and 5xx carries it. */
export interface ProblemDetail {
  path?: string;
  message: string;
  line?: number;
}

/** An API call that failed: the server's `{code, message, details}` or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ProblemDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The session's CSRF token lives in memory only: the cookie is HttpOnly, so a reload asks /auth/me for it again.
 */
let csrfToken: string | undefined;
let onUnauthenticated: (() => void) | undefined;

export const setCsrfToken = (token: string | undefined): void => {
  csrfToken = token;
};

/** What to do when a call comes back 401 (the session ended): the app sends the user to sign in. */
export const setUnauthenticatedHandler = (handler: (() => void) | undefined): void => {
  onUnauthenticated = handler;
};

/** For calls made outside `api()` (the event stream): the session has ended. */
export const reportUnauthenticated = (): void => onUnauthenticated?.();

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface RequestOptions {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as-is (a file upload), with its own content type. */
  file?: Blob;
  query?: Query;
  signal?: AbortSignal;
}

function problemOf(status: number, body: unknown): ApiError {
  if (body && typeof body === 'object' && 'code' in body && 'message' in body) {
    const p = body as { code: unknown; message: unknown; details?: unknown };
    const details = Array.isArray(p.details) ? (p.details as ProblemDetail[]) : [];
    return new ApiError(status, String(p.code), String(p.message), details);
  }
  return new ApiError(status, 'HTTP_' + status, `the server answered ${status}`);
}

/**
 * The server parses JSON and plain-text bodies itself, so those files go up as opaque bytes; any other type is
 * kept, and the server records it with the evidence.
 */
const uploadType = (file: Blob): string =>
  !file.type || /^(application\/json|text\/plain)\b/i.test(file.type)
    ? 'application/octet-stream'
    : file.type;

/** An answer as received: the parsed body, and the text and headers it came with. */
export interface ApiResponse<T> {
  body: T;
  /** The body's text: what `body` was parsed from, for parts JSON.parse would change (64-bit integers). */
  text: string;
  headers: Headers;
}

/** Calls the API under /api/v1 with the session cookie, adding the CSRF header on unsafe methods. */
export async function apiResponse<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.file) headers['content-type'] = uploadType(options.file);
  if (UNSAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(withQuery(`/api/v1${path}`, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: options.file ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'could not reach the Riposte server; check your connection');
  }
  if (response.status === 204) return { body: undefined as T, text: '', headers: response.headers };
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = problemOf(response.status, body);
    if (response.status === 401 && !path.startsWith('/auth/login')) onUnauthenticated?.();
    throw error;
  }
  return { body: body as T, text, headers: response.headers };
}

/** Calls the API (see `apiResponse`) and answers the parsed body. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return (await apiResponse<T>(path, options)).body;
}
