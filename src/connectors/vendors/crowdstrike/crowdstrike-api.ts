import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import { connectorConfig, secret, type ActionContext } from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';
import { createTokenCache } from '../../framework/oauth-tokens.js';

/**
 * CrowdStrike Falcon API (https://falcon.crowdstrike.com/documentation, "OAuth2-Based APIs"): a bearer token
 * from POST /oauth2/token (client id + secret, valid 30 minutes), then JSON endpoints answering the
 * `{ meta, resources, errors }` envelope.
 */
export const CrowdStrikeConfig = connectorConfig({
  /** The cloud's API host: api.crowdstrike.com (US-1), api.us-2.crowdstrike.com, api.eu-1.crowdstrike.com… */
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.crowdstrike.com'),
  clientId: z.string().min(8),
  clientSecret: secret(z.string().min(8)),
  /** Child CID, for a Flight Control (MSSP) parent acting on a child tenant. */
  memberCid: z.string().min(8).optional(),
});
export type CrowdStrikeConfig = z.infer<typeof CrowdStrikeConfig>;
export type CrowdStrikeContext = ActionContext<CrowdStrikeConfig>;

/** The envelope every Falcon endpoint answers with. */
export const Envelope = <T extends z.ZodType>(resource: T) =>
  z.looseObject({
    meta: z.looseObject({}).optional(),
    resources: z.array(resource).nullable().optional(),
    errors: z
      .array(z.looseObject({ code: z.number().optional(), message: z.string() }))
      .nullable()
      .optional(),
  });

/** A Falcon sensor's agent id (AID): 32 hex characters. */
export const DeviceId = z.string().regex(/^[0-9a-f]{32}$/i, 'a Falcon device id (AID) is 32 hex characters');
/** Hostnames go into an FQL filter between single quotes: no quotes or spaces allowed. */
export const Hostname = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,253}$/, 'a hostname (letters, digits, dot, dash)');

const tokens = createTokenCache('CrowdStrike');

/** Sends an authorised request and parses the answer with `schema`. */
export async function falcon<T extends z.ZodType>(
  ctx: CrowdStrikeContext,
  req: HttpRequest,
  schema: T,
): Promise<{ status: number; body: z.infer<T> }> {
  const { clientId, clientSecret, memberCid, baseUrl } = ctx.config;
  const form: Record<string, string> = { client_id: clientId, client_secret: clientSecret };
  if (memberCid) form.member_cid = memberCid;
  const res = await tokens.send(
    ctx as ActionContext<unknown>,
    { tokenUrl: '/oauth2/token', form, key: `${baseUrl}|${clientId}|${memberCid ?? ''}` },
    req,
  );
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) {
    throw new ConnectorError(
      ConnectorErrorCode.badResponse,
      `CrowdStrike ${req.path} answered an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      { retryable: false },
    );
  }
  return { status: res.status, body: parsed.data as z.infer<T> };
}

/** FQL string literal: the inputs are validated to hold no quote, this is a second guard. */
export const fql = (value: string): string => `'${value.replace(/['\\]/g, '')}'`;
