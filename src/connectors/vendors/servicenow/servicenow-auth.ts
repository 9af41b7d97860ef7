import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import type { ActionContext } from '../../framework/define-connector.js';
import { createTokenCache, type TokenGrant } from '../../framework/oauth-tokens.js';
import type { ServiceNowConfig } from './servicenow.config.js';

/** OAuth 2.0 client credentials against the instance's token endpoint; tokens live in `ctx.tokens`. */
const tokens = createTokenCache('ServiceNow');

function grantOf(ctx: ActionContext<ServiceNowConfig>): TokenGrant {
  const { clientId, clientSecret } = ctx.config;
  if (!clientId || !clientSecret) {
    throw new ConnectorError(
      ConnectorErrorCode.notConfigured,
      'ServiceNow OAuth needs clientId and clientSecret on the instance',
      { retryable: false },
    );
  }
  return {
    tokenUrl: '/oauth_token.do',
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
    key: `servicenow-oauth\n${clientId}`,
  };
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
  return `Bearer ${await tokens.token(ctx as ActionContext<unknown>, grantOf(ctx))}`;
}

/**
 * Runs a call with the auth header; a 401 on a cached OAuth token (revoked or expired early) fetches a
 * new token and tries once more before giving up.
 */
export async function withServiceNowAuth<T>(
  ctx: ActionContext<ServiceNowConfig>,
  call: (authorization: string) => Promise<T>,
): Promise<T> {
  const oauth = ctx.config.authMode === 'oauth';
  try {
    return await call(await serviceNowAuthHeader(ctx));
  } catch (err) {
    if (!oauth || !(err instanceof ConnectorError) || err.code !== ConnectorErrorCode.authFailed) throw err;
    ctx.tokens.drop(grantOf(ctx).key);
    return call(await serviceNowAuthHeader(ctx));
  }
}
