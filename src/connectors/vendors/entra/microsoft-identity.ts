import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import { secret, type ActionContext } from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';
import { createTokenCache } from '../../framework/oauth-tokens.js';

/**
 * App-only access to Microsoft APIs (Graph, Defender for Endpoint) through the Microsoft identity platform:
 * POST {authority}/{tenant}/oauth2/v2.0/token with the client-credentials grant and `{resource}/.default`.
 */
export const MicrosoftAppCredentials = {
  tenantId: z.string().min(1).describe('Directory (tenant) id or verified domain'),
  clientId: z.string().min(1).describe('Application (client) id of the app registration'),
  clientSecret: secret(z.string().min(8)),
  /** The identity platform; its host must stay in allowedHosts (which lists it by default). */
  authorityUrl: z.url({ protocol: /^https?$/ }).default('https://login.microsoftonline.com'),
  allowedHosts: z.array(z.string().min(1)).default(['login.microsoftonline.com']),
};

export interface MicrosoftAppConfig {
  baseUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityUrl: string;
}

const tokens = createTokenCache('Microsoft identity platform');

/** OData string literal: a quote is doubled (OData ABNF `SQUOTE-in-string`). */
export const odataString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * Sends a request with an app-only token for `resource` and returns the parsed answer (null for 204).
 * The token request goes to the authority host, which the instance must allow.
 */
export async function microsoftSend<T extends z.ZodType>(
  ctx: ActionContext<MicrosoftAppConfig>,
  resource: string,
  req: HttpRequest,
  schema: T,
): Promise<{ status: number; body: z.infer<T> }> {
  const { authorityUrl, tenantId, clientId, clientSecret } = ctx.config;
  const tokenUrl = `${authorityUrl.replace(/\/$/, '')}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
  const res = await tokens.send(
    ctx as ActionContext<unknown>,
    {
      tokenUrl,
      form: {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: `${resource}/.default`,
      },
      key: `${tokenUrl}|${clientId}|${resource}`,
    },
    req,
  );
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) {
    throw new ConnectorError(
      ConnectorErrorCode.badResponse,
      `${req.method ?? 'GET'} ${req.path} answered an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      { retryable: false },
    );
  }
  return { status: res.status, body: parsed.data as z.infer<T> };
}
