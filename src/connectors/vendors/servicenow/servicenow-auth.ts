import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import type { ActionContext } from '../../framework/define-connector.js';
import type { HttpClient } from '../../http/http-client.js';
import type { ServiceNowConfig } from './servicenow.config.js';

const TokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  token_type: z.string(),
});

/**
 * Tokens per HTTP client: the executor keeps one client per instance version, so an edited instance (new
 * credentials) gets a new client and never reuses the old token; a dropped client takes its token with it.
 */
const tokens = new WeakMap<HttpClient, { token: string; expiresAt: number }>();

/** Renew a minute early so a token never expires between the check and the call. */
const EARLY_RENEW_MS = 60_000;

async function fetchToken(ctx: ActionContext<ServiceNowConfig>): Promise<string> {
  const { clientId, clientSecret } = ctx.config;
  if (!clientId || !clientSecret) {
    throw new ConnectorError(
      ConnectorErrorCode.notConfigured,
      'ServiceNow OAuth needs clientId and clientSecret on the instance',
      { retryable: false },
    );
  }
  // OAuth 2.0 client credentials grant against the instance's token endpoint (form-encoded).
  const body = TokenResponse.parse(
    await ctx.http.json(
      {
        method: 'POST',
        path: '/oauth_token.do',
        form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
        // Asking for a token again changes nothing.
        idempotent: true,
      },
      ctx.signal,
    ),
  );
  tokens.set(ctx.http, { token: body.access_token, expiresAt: ctx.now() + body.expires_in * 1000 });
  return body.access_token;
}

/** The Authorization header for the instance's auth mode, fetching or reusing an OAuth token. */
export async function serviceNowAuthHeader(ctx: ActionContext<ServiceNowConfig>): Promise<string> {
  if (ctx.config.authMode === 'basic') {
    const { username, password } = ctx.config;
    if (!username || !password) {
      throw new ConnectorError(
        ConnectorErrorCode.notConfigured,
        'ServiceNow basic auth needs username and password on the instance',
        { retryable: false },
      );
    }
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  const held = tokens.get(ctx.http);
  if (held && held.expiresAt - EARLY_RENEW_MS > ctx.now()) return `Bearer ${held.token}`;
  return `Bearer ${await fetchToken(ctx)}`;
}

/**
 * Runs a call with the auth header; a 401 on a cached OAuth token (revoked or expired early) fetches a
 * new token and tries once more before giving up.
 */
export async function withServiceNowAuth<T>(
  ctx: ActionContext<ServiceNowConfig>,
  call: (authorization: string) => Promise<T>,
): Promise<T> {
  const cached = ctx.config.authMode === 'oauth' && tokens.has(ctx.http);
  try {
    return await call(await serviceNowAuthHeader(ctx));
  } catch (err) {
    if (!cached || !(err instanceof ConnectorError) || err.code !== ConnectorErrorCode.authFailed) throw err;
    tokens.delete(ctx.http);
    return call(await serviceNowAuthHeader(ctx));
  }
}
