import { z } from 'zod';
import { ConnectorError } from '../action-executor.js';
import type { HttpRequest } from '../http/http-client.js';
import { ConnectorErrorCode } from './connector-errors.js';
import type { ActionContext } from './define-connector.js';
import type { HeldToken } from './instance-tokens.js';

/**
 * OAuth2 access tokens from a token endpoint: client credentials (RFC 6749 §4.4: Microsoft identity platform,
 * CrowdStrike Falcon) or a JWT bearer assertion (RFC 7523: Google service accounts), cached per instance
 * until shortly before they expire.
 *
 * The framework gives actions no per-instance state, so the cache is held by the connector module that
 * creates it; it keeps only bearer tokens (never the client secret) and forgets a token the vendor refuses.
 */

const TokenResponse = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
});

/** Where and how one instance asks for a token. */
export interface TokenGrant {
  /** Relative to the instance's base URL, or absolute (its host must be in the instance's allowed hosts). */
  tokenUrl: string;
  /** The token request's form; a function when it is costly to build (a signed JWT assertion). */
  form: Record<string, string> | (() => Promise<Record<string, string>>);
  /** Changes when the grant does (another client id, scope or tenant), so a stale token is not reused. */
  key: string;
}

/** Renew this long before the vendor's expiry, so a token never runs out mid-call. */
const EXPIRY_MARGIN_MS = 60_000;

export interface TokenCache {
  /** A valid bearer token for the instance, fetched when none is cached. */
  token(ctx: ActionContext<unknown>, grant: TokenGrant): Promise<string>;
  /**
   * Sends an authorised request; when a cached token is refused (revoked, rotated) it is dropped and the
   * request is sent once more with a fresh one.
   */
  send(
    ctx: ActionContext<unknown>,
    grant: TokenGrant,
    req: HttpRequest,
  ): Promise<{ status: number; body: unknown }>;
}

/** Token endpoints answer a bad client id or secret with 400 `invalid_client` (RFC 6749 §5.2): not retryable. */
function tokenRefused(err: ConnectorError, label: string): ConnectorError {
  return new ConnectorError(
    ConnectorErrorCode.authFailed,
    `${label} token endpoint refused the client credentials; check client id, secret and tenant (${err.message})`,
    { retryable: false, status: err.status, cause: err },
  );
}

export function createTokenCache(label: string): TokenCache {
  async function fetchToken(ctx: ActionContext<unknown>, grant: TokenGrant): Promise<HeldToken> {
    let body: unknown;
    try {
      body = await ctx.http.json(
        {
          method: 'POST',
          path: grant.tokenUrl,
          form: typeof grant.form === 'function' ? await grant.form() : grant.form,
          idempotent: true,
        },
        ctx.signal,
      );
    } catch (err) {
      if (err instanceof ConnectorError && (err.status === 400 || err.status === 401 || err.status === 403)) {
        throw tokenRefused(err, label);
      }
      throw err;
    }
    const parsed = TokenResponse.safeParse(body);
    if (!parsed.success) {
      throw new ConnectorError(
        ConnectorErrorCode.badResponse,
        `${label} token endpoint answered without a token`,
        { retryable: false },
      );
    }
    return {
      token: parsed.data.access_token,
      expiresAt: ctx.now() + parsed.data.expires_in * 1000 - EXPIRY_MARGIN_MS,
    };
  }

  const cache: TokenCache = {
    token: (ctx, grant) => ctx.tokens.get(grant.key, () => fetchToken(ctx, grant)),

    async send(ctx, grant, req) {
      for (let attempt = 1; ; attempt++) {
        const token = await cache.token(ctx, grant);
        try {
          const res = await ctx.http.request(
            { ...req, headers: { ...req.headers, Authorization: `Bearer ${token}` } },
            ctx.signal,
          );
          return { status: res.status, body: res.json() };
        } catch (err) {
          const refused = err instanceof ConnectorError && err.status === 401;
          if (!refused || attempt > 1) throw err;
          ctx.tokens.drop(grant.key);
        }
      }
    },
  };
  return cache;
}
