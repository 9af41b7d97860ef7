import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import { connectorConfig, secret, type ActionContext } from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';

/**
 * Wazuh server API v4 (https://documentation.wazuh.com/current/user-manual/api/): a JWT from
 * POST /security/user/authenticate with HTTP Basic credentials, then `Authorization: Bearer {jwt}`.
 * Answers `{ data, message, error }`; failures are RFC 7807-like `{ title, detail }`.
 */
export const WazuhConfig = connectorConfig({
  /** The manager's API, e.g. https://wazuh-manager.example:55000 (add its CA with caCertPem). */
  baseUrl: z.url({ protocol: /^https?$/ }),
  username: z.string().min(1),
  password: secret(z.string().min(8)),
  /** Lifetime the manager gives its tokens (auth_token_exp_timeout, 900 s by default). */
  tokenTtlSeconds: z.number().int().min(60).max(86_400).default(900),
});
export type WazuhConfig = z.infer<typeof WazuhConfig>;
export type WazuhContext = ActionContext<WazuhConfig>;

const AuthAnswer = z.looseObject({ data: z.looseObject({ token: z.string().min(1) }) });

// The JWT lives in the instance's token cache, under the user it was issued to.
const keyOf = (ctx: WazuhContext) => `wazuh-jwt\n${ctx.config.username}`;

function token(ctx: WazuhContext): Promise<string> {
  return ctx.tokens.get(keyOf(ctx), async () => {
    const basic = Buffer.from(`${ctx.config.username}:${ctx.config.password}`).toString('base64');
    const res = await ctx.http.request(
      {
        method: 'POST',
        path: '/security/user/authenticate',
        headers: { Authorization: `Basic ${basic}` },
        idempotent: true,
      },
      ctx.signal,
    );
    const parsed = AuthAnswer.safeParse(res.json());
    if (!parsed.success) {
      throw new ConnectorError(
        ConnectorErrorCode.badResponse,
        'Wazuh authenticate answered without a token',
        {
          retryable: false,
        },
      );
    }
    // Renew a minute early so a token never expires mid-call.
    return { token: parsed.data.data.token, expiresAt: ctx.now() + (ctx.config.tokenTtlSeconds - 60) * 1000 };
  });
}

/** Sends an authorised request; a refused cached token is dropped and the request sent once more. */
export async function wazuh<T extends z.ZodType>(
  ctx: WazuhContext,
  req: HttpRequest,
  data: T,
): Promise<z.infer<T>> {
  for (let attempt = 1; ; attempt++) {
    const jwt = await token(ctx);
    try {
      const res = await ctx.http.request(
        { ...req, headers: { ...req.headers, Authorization: `Bearer ${jwt}` } },
        ctx.signal,
      );
      const body = z.looseObject({ data: z.unknown() }).parse(res.json());
      return data.parse(body.data) as z.infer<T>;
    } catch (err) {
      if (!(err instanceof ConnectorError && err.status === 401) || attempt > 1) throw err;
      ctx.tokens.drop(keyOf(ctx));
    }
  }
}

/** `{ affected_items, failed_items, total_* }`, the shape of every Wazuh bulk answer. */
export const AffectedItems = <T extends z.ZodType>(item: T) =>
  z.looseObject({
    affected_items: z.array(item),
    total_affected_items: z.number(),
    failed_items: z
      .array(
        z.looseObject({
          error: z.looseObject({ code: z.number(), message: z.string() }),
          id: z.array(z.string()),
        }),
      )
      .default([]),
    total_failed_items: z.number().default(0),
  });
