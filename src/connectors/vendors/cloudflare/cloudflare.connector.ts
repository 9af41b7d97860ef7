import { z } from 'zod';
import { ConnectorErrorCode, permanentError } from '../../framework/connector-errors.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';
import { assetRef } from '../../safety/asset-ref.js';

/**
 * Cloudflare API v4 IP Access Rules (https://developers.cloudflare.com/api/): a bearer API token, and the
 * `{ success, errors, messages, result }` envelope. Rules apply to one zone or to a whole account.
 */
export const CloudflareConfig = connectorConfig({
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.cloudflare.com/client/v4'),
  apiToken: secret(z.string().min(8)),
  /** Set one: account-wide rules (every zone of the account) or one zone's rules. */
  accountId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  zoneId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
});
export type CloudflareConfig = z.infer<typeof CloudflareConfig>;
type CloudflareContext = ActionContext<CloudflareConfig>;

const Rule = z.looseObject({
  id: z.string(),
  mode: z.string(),
  configuration: z.looseObject({ target: z.string(), value: z.string() }),
  notes: z.string().optional(),
});
type Rule = z.infer<typeof Rule>;

const Envelope = <T extends z.ZodType>(result: T) =>
  z.looseObject({ success: z.boolean(), errors: z.array(z.unknown()).optional(), result });

function rulesPath(ctx: CloudflareContext): string {
  const { accountId, zoneId } = ctx.config;
  if (zoneId) return `/zones/${zoneId}/firewall/access_rules/rules`;
  if (accountId) return `/accounts/${accountId}/firewall/access_rules/rules`;
  throw permanentError(
    ConnectorErrorCode.notConfigured,
    `cloudflare instance ${ctx.instance} needs an accountId or a zoneId`,
  );
}

async function cloudflare<T extends z.ZodType>(ctx: CloudflareContext, req: HttpRequest, result: T) {
  const res = await ctx.http.request(
    { ...req, headers: { ...req.headers, Authorization: `Bearer ${ctx.config.apiToken}` } },
    ctx.signal,
  );
  return { status: res.status, body: Envelope(result).parse(res.json()) };
}

/** An address or a range Cloudflare accepts: IPv4 /16 or /24, IPv6 /32, /48 or /64. */
const IpOrRange = z.union([
  z.ipv4(),
  z.ipv6(),
  z.cidrv4().refine((c) => /\/(16|24)$/.test(c), 'Cloudflare accepts IPv4 ranges of /16 or /24 only'),
  z.cidrv6().refine((c) => /\/(32|48|64)$/.test(c), 'Cloudflare accepts IPv6 ranges of /32, /48 or /64 only'),
]);

/** A single address given as /32 or /128 is sent as the address itself. */
const normalise = (value: string) => value.replace(/\/(32|128)$/, '');
const targetOf = (value: string) => (value.includes('/') ? 'ip_range' : value.includes(':') ? 'ip6' : 'ip');

const RuleOutput = z.object({ id: z.string(), mode: z.string(), target: z.string(), value: z.string() });
const toOutput = (r: Rule) => ({
  id: r.id,
  mode: r.mode,
  target: r.configuration.target,
  value: r.configuration.value,
});

export const cloudflareConnector = defineConnector({
  name: 'cloudflare',
  title: 'Cloudflare IP Access Rules',
  description:
    'Block or challenge IP addresses and ranges at the Cloudflare edge, for a zone or a whole account.',
  config: CloudflareConfig,
  actions: [
    defineAction({
      name: 'cloudflare.block_ip',
      description: 'Add an IP access rule that blocks (or challenges) an address or range',
      risk: 'contain',
      input: z.object({
        ip: z.string().transform(normalise).pipe(IpOrRange),
        mode: z.enum(['block', 'challenge', 'js_challenge', 'managed_challenge']).default('block'),
        notes: z.string().max(1000).default('Blocked by Riposte'),
      }),
      output: RuleOutput,
      example: { id: '92f17202ed8bd63d69a66b86a49a8f6b', mode: 'block', target: 'ip', value: '198.51.100.4' },
      idempotency: 'query-first',
      undo: { action: 'cloudflare.unblock_ip', input: (_input, output) => ({ id: output.id }) },
      targets: (input) => [assetRef('ip', input.ip)],
      openc2: {
        action: 'deny',
        target: 'ipv4_net',
        input: (t) => ({
          ip: normalise(String(t.ipv4_net)),
          mode: 'block' as const,
          notes: 'OpenC2 deny ipv4_net',
        }),
      },
      async run(ctx: CloudflareContext, input) {
        const target = targetOf(input.ip);
        const { body: found } = await cloudflare(
          ctx,
          {
            path: rulesPath(ctx),
            query: { 'configuration.target': target, 'configuration.value': input.ip, match: 'all' },
          },
          z.array(Rule),
        );
        const existing = found.result[0];
        if (existing?.mode === input.mode) {
          ctx.markAlreadyApplied();
          return toOutput(existing);
        }
        // One rule per address: a rule in another mode is switched rather than duplicated (Cloudflare refuses that).
        const { body } = existing
          ? await cloudflare(
              ctx,
              {
                method: 'PATCH',
                path: `${rulesPath(ctx)}/${existing.id}`,
                json: { mode: input.mode, notes: input.notes },
              },
              Rule,
            )
          : await cloudflare(
              ctx,
              {
                method: 'POST',
                path: rulesPath(ctx),
                json: { mode: input.mode, configuration: { target, value: input.ip }, notes: input.notes },
              },
              Rule,
            );
        return toOutput(body.result);
      },
    }),
    defineAction({
      name: 'cloudflare.unblock_ip',
      description: 'Delete an IP access rule by id',
      risk: 'contain',
      reverses: true,
      input: z.object({
        id: z.string().regex(/^[0-9a-f]{32}$/, 'a Cloudflare rule id is 32 hex characters'),
      }),
      output: z.object({ id: z.string(), removed: z.boolean() }),
      example: { id: '92f17202ed8bd63d69a66b86a49a8f6b', removed: true },
      idempotency: 'natural',
      async run(ctx: CloudflareContext, { id }) {
        const { status } = await cloudflare(
          ctx,
          { method: 'DELETE', path: `${rulesPath(ctx)}/${id}`, okStatuses: [404] },
          z.unknown(),
        );
        if (status === 404) ctx.markAlreadyApplied();
        return { id, removed: status !== 404 };
      },
    }),
  ],
  async test(ctx) {
    // Verifies the token itself (GET /user/tokens/verify) without touching any rule.
    const { body } = await cloudflare(
      ctx as CloudflareContext,
      { path: '/user/tokens/verify' },
      z.looseObject({ status: z.string() }),
    );
    return { ok: body.result.status === 'active', message: `Cloudflare API token is ${body.result.status}` };
  },
});
