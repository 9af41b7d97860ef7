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
 * pfSense (CE and Plus) through the pfSense REST API package v2 (pfrest, https://pfrest.org): API key in
 * `X-API-Key`, answers in the `{ code, status, response_id, message, data }` envelope. pfSense has no
 * "add one entry" call for aliases: an entry is added by PATCHing the alias's whole address list, then
 * `POST /firewall/apply` reloads the filter. Distinct from OPNsense, whose alias_util edits a live table.
 */
export const PfsenseConfig = connectorConfig({
  /** The firewall's web GUI address, e.g. https://pfsense.example (add its CA with caCertPem). */
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: secret(z.string().min(16)),
  /** A host or network alias referenced by a block rule. */
  blockAlias: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,31}$/, 'a pfSense alias name (letters, digits, underscore)')
    .default('riposte_blocklist'),
});
export type PfsenseConfig = z.infer<typeof PfsenseConfig>;
type PfsenseContext = ActionContext<PfsenseConfig>;

const Alias = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  type: z.string(),
  address: z.array(z.string()).default([]),
  detail: z.array(z.string()).default([]),
});
type Alias = z.infer<typeof Alias>;
const Envelope = <T extends z.ZodType>(data: T) =>
  z.looseObject({ code: z.number(), status: z.string(), response_id: z.string().optional(), data });

async function pfsense<T extends z.ZodType>(
  ctx: PfsenseContext,
  req: HttpRequest,
  data: T,
): Promise<z.infer<T>> {
  const body = await ctx.http.json(
    { ...req, path: `/api/v2${req.path}`, headers: { ...req.headers, 'x-api-key': ctx.config.apiKey } },
    ctx.signal,
  );
  return Envelope(data).parse(body).data as z.infer<T>;
}

async function findBlockAlias(ctx: PfsenseContext): Promise<Alias> {
  const name = ctx.config.blockAlias;
  const found = await pfsense(ctx, { path: '/firewall/aliases', query: { name } }, z.array(Alias));
  const alias = found.find((a) => a.name === name);
  if (!alias || (alias.type !== 'host' && alias.type !== 'network')) {
    throw permanentError(
      ConnectorErrorCode.notConfigured,
      `pfSense has no host or network alias named ${name}: create it and reference it from a block rule`,
    );
  }
  return alias;
}

/** Replaces the alias's entries and applies the change (a PATCH to the same list twice is the same list). */
async function writeAlias(
  ctx: PfsenseContext,
  alias: Alias,
  address: string[],
  detail: string[],
): Promise<void> {
  await pfsense(
    ctx,
    { method: 'PATCH', path: '/firewall/alias', json: { id: alias.id, address, detail }, idempotent: true },
    z.unknown(),
  );
  await pfsense(ctx, { method: 'POST', path: '/firewall/apply', json: {}, idempotent: true }, z.unknown());
}

const Address = z
  .string()
  .transform((v) => v.replace(/\/(32|128)$/, ''))
  .pipe(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]));
const Output = z.object({ alias: z.string(), address: z.string() });
const ipOf = (t: Record<string, unknown>) => ({ address: String(t.ipv4_net ?? '') });

/** pfSense: block addresses through an alias referenced by a block rule. */
export const pfsenseConnector = defineConnector({
  name: 'pfsense',
  title: 'pfSense',
  description: 'Block addresses and ranges by adding them to a host or network alias (pfSense REST API v2).',
  config: PfsenseConfig,
  actions: [
    defineAction({
      name: 'pfsense.block_ip',
      description: 'Add an address or range to the block alias and apply the filter',
      risk: 'contain',
      input: z.object({ address: Address }),
      output: Output,
      example: { alias: 'riposte_blocklist', address: '203.0.113.7' },
      idempotency: 'query-first',
      undo: { action: 'pfsense.unblock_ip', input: (input) => ({ address: input.address }) },
      targets: (input) => [assetRef('ip', input.address)],
      openc2: { action: 'deny', target: 'ipv4_net', input: ipOf },
      async run(ctx: PfsenseContext, { address }) {
        const alias = await findBlockAlias(ctx);
        if (alias.address.includes(address)) ctx.markAlreadyApplied();
        else
          await writeAlias(
            ctx,
            alias,
            [...alias.address, address],
            // pfSense keeps one description per entry, index for index.
            [
              ...alias.address.map((_, i) => alias.detail[i] ?? ''),
              `riposte ${ctx.idempotencyKey.slice(0, 36)}`,
            ],
          );
        return { alias: alias.name, address };
      },
    }),
    defineAction({
      name: 'pfsense.unblock_ip',
      description: 'Remove an address or range from the block alias and apply the filter',
      risk: 'contain',
      reverses: true,
      input: z.object({ address: Address }),
      output: Output,
      example: { alias: 'riposte_blocklist', address: '203.0.113.7' },
      idempotency: 'query-first',
      openc2: { action: 'allow', target: 'ipv4_net', input: ipOf },
      async run(ctx: PfsenseContext, { address }) {
        const alias = await findBlockAlias(ctx);
        const at = alias.address.indexOf(address);
        if (at < 0) ctx.markAlreadyApplied();
        else
          await writeAlias(
            ctx,
            alias,
            alias.address.filter((_, i) => i !== at),
            alias.address.map((_, i) => alias.detail[i] ?? '').filter((_, i) => i !== at),
          );
        return { alias: alias.name, address };
      },
    }),
  ],
  async test(ctx) {
    const alias = await findBlockAlias(ctx as PfsenseContext);
    return {
      ok: true,
      message: `pfSense accepted the API key; alias ${alias.name} holds ${alias.address.length} entries`,
    };
  },
});
