import { ConnectorError } from '../action-executor.js';

/** Stable codes of connector failures; the run records the code, people read the message. */
export const ConnectorErrorCode = {
  unknownAction: 'CONNECTOR_UNKNOWN_ACTION',
  notConfigured: 'CONNECTOR_NOT_CONFIGURED',
  invalidInput: 'CONNECTOR_INVALID_INPUT',
  invalidOutput: 'CONNECTOR_INVALID_OUTPUT',
  hostNotAllowed: 'CONNECTOR_HOST_NOT_ALLOWED',
  timeout: 'CONNECTOR_TIMEOUT',
  network: 'CONNECTOR_NETWORK',
  tls: 'CONNECTOR_TLS',
  rateLimited: 'CONNECTOR_RATE_LIMITED',
  authFailed: 'CONNECTOR_AUTH_FAILED',
  notFound: 'CONNECTOR_NOT_FOUND',
  rejected: 'CONNECTOR_REQUEST_REJECTED',
  unavailable: 'CONNECTOR_UNAVAILABLE',
  badResponse: 'CONNECTOR_BAD_RESPONSE',
  responseTooLarge: 'CONNECTOR_RESPONSE_TOO_LARGE',
  protectedAsset: 'CONNECTOR_PROTECTED_ASSET',
  containmentLimit: 'CONNECTOR_CONTAINMENT_LIMIT',
  circuitOpen: 'CONNECTOR_CIRCUIT_OPEN',
  aborted: 'CONNECTOR_ABORTED',
  internal: 'CONNECTOR_INTERNAL',
} as const;
export type ConnectorErrorCode = (typeof ConnectorErrorCode)[keyof typeof ConnectorErrorCode];

/** A failure that trying again cannot fix (bad input, refused credentials, a protected target). */
export const permanentError = (code: ConnectorErrorCode, message: string, cause?: unknown): ConnectorError =>
  new ConnectorError(code, message, { retryable: false, cause });

/**
 * Removes every secret value from a text before it goes into an error or a log line. Vendors echo keys back
 * in error bodies and URLs carry them in query strings, so this runs on every message the client builds.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would blank out ordinary words; credentials are never that short.
    if (secret.length < 4) continue;
    out = out.split(secret).join('[redacted]');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('[redacted]');
  }
  return out;
}
