import { ConnectorError } from '../action-executor.js';
import { ConnectorErrorCode, redactSecrets } from '../framework/connector-errors.js';

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** A short, secret-free excerpt of a response body for an error message. */
export function bodyExcerpt(body: string, secrets: readonly string[], max = 300): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  const cut = flat.length > max ? `${flat.slice(0, max)}…` : flat;
  return redactSecrets(cut, secrets);
}

/** Maps a vendor's HTTP status to a connector error that says whether to retry. */
export function statusError(
  where: string,
  status: number,
  excerpt: string,
  retryAfterMs: number | undefined,
): ConnectorError {
  const said = excerpt ? `: ${excerpt}` : '';
  if (status === 401 || status === 403) {
    return new ConnectorError(
      ConnectorErrorCode.authFailed,
      `${where} refused the credentials (HTTP ${status}); check the instance's API key and its permissions${said}`,
      { retryable: false, status },
    );
  }
  if (status === 429) {
    return new ConnectorError(
      ConnectorErrorCode.rateLimited,
      `${where} is rate limiting us (HTTP 429)${said}`,
      {
        retryable: true,
        retryAfterMs,
        status,
      },
    );
  }
  if (status === 408) {
    return new ConnectorError(ConnectorErrorCode.timeout, `${where} timed out the request (HTTP 408)`, {
      retryable: true,
      status,
    });
  }
  if (status === 404) {
    return new ConnectorError(
      ConnectorErrorCode.notFound,
      `${where} has no such resource (HTTP 404)${said}`,
      {
        retryable: false,
        status,
      },
    );
  }
  if (status >= 500) {
    return new ConnectorError(ConnectorErrorCode.unavailable, `${where} failed (HTTP ${status})${said}`, {
      retryable: true,
      retryAfterMs,
      status,
    });
  }
  return new ConnectorError(
    ConnectorErrorCode.rejected,
    `${where} rejected the request (HTTP ${status})${said}`,
    {
      retryable: false,
      status,
    },
  );
}

/** Maps a transport failure (no HTTP answer) to a connector error. */
export function transportError(
  where: string,
  err: unknown,
  secrets: readonly string[],
  timedOut: boolean,
): ConnectorError {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const detail = redactSecrets(String(e.message ?? err), secrets);
  if (timedOut || TIMEOUT_CODES.has(code)) {
    return new ConnectorError(ConnectorErrorCode.timeout, `${where} did not answer in time`, {
      retryable: true,
      cause: err,
    });
  }
  if (TLS_CODES.has(code) || /certificate|TLS|SSL/i.test(detail)) {
    return new ConnectorError(
      ConnectorErrorCode.tls,
      `TLS verification of ${where} failed (${code || detail}); add its CA with caCertPem, never disable verification`,
      { retryable: false, cause: err },
    );
  }
  return new ConnectorError(ConnectorErrorCode.network, `cannot reach ${where} (${code || detail})`, {
    retryable: true,
    cause: err,
  });
}
