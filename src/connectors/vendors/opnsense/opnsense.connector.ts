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
 * OPNsense API (https://docs.opnsense.org/development/api.html): HTTP Basic with an API key and secret;
 * `firewall/alias_util` edits the live pf table of an alias (type "External (advanced)") without a reload.
 */
export const OpnsenseConfig = connectorConfig({
  /** The firewall's web GUI address, e.g. https://fw.example (add its CA with caCertPem). */
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: secret(z.string().min(8)),
  apiSecret: secret(z.string().min(8)),
  /** An External (advanced) alias referenced by a block rule. */
  blockAlias: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,31}$/, 'an OPNsense alias name')
    .default('riposte_blocklist'),
});
export type OpnsenseConfig = z.infer<typeof OpnsenseConfig>;
type OpnsenseContext = ActionContext<OpnsenseConfig>;

async function opnsense(ctx: OpnsenseContext, req: HttpRequest): Promise<unknown> {
  const basic = Buffer.from(`${ctx.config.apiKey}:${ctx.config.apiSecret}`).toString('base64');
  return ctx.http.json(
    { ...req, path: `/api${req.path}`, headers: { ...req.headers, Authorization: `Basic ${basic}` } },
    ctx.signal,
  );
}

const ListAnswer = z.looseObject({ rows: z.array(z.looseObject({ ip: z.string() })).default([]) });
const StatusAnswer = z.looseObject({ status: z.string() });

const Address = z
  .string()
  .transform((v) => v.replace(/\/(32|128)$/, ''))
  .pipe(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]));

async function aliasEntries(ctx: OpnsenseContext): Promise<string[]> {
  const answer = ListAnswer.parse(
    await opnsense(ctx, { path: `/firewall/alias_util/list/${ctx.config.blockAlias}` }),
  );
  return answer.rows.map((r) => r.ip);
}

/** alias_util answers 200 with `{ status: 'failed' }` when the alias is missing or not External. */
async function changeAlias(ctx: OpnsenseContext, verb: 'add' | 'delete', address: string): Promise<void> {
  const answer = StatusAnswer.parse(
    await opnsense(ctx, {
      method: 'POST',
      path: `/firewall/alias_util/${verb}/${ctx.config.blockAlias}`,
      json: { address },
      // Adding or deleting one entry of a table twice leaves the same table.
      idempotent: true,
    }),
  );
  if (answer.status !== 'done') {
    throw permanentError(
      ConnectorErrorCode.rejected,
      `OPNsense could not ${verb} ${address} in alias ${ctx.config.blockAlias} (status ${answer.status}): it must exist and be of type External (advanced)`,
    );
  }
}

const Output = z.object({ alias: z.string(), address: z.string() });
const ipOf = (t: Record<string, unknown>) => ({ address: String(t.ipv4_net ?? '') });

/** OPNsense: block addresses through a pf table alias. */
export const opnsenseConnector = defineConnector({
  name: 'opnsense',
  title: 'OPNsense',
  description: 'Block addresses and ranges by adding them to an External alias referenced by a block rule.',
  config: OpnsenseConfig,
  actions: [
    defineAction({
      name: 'opnsense.block_ip',
      description: 'Add an address or range to the block alias',
      risk: 'contain',
      input: z.object({ address: Address }),
      output: Output,
      example: { alias: 'riposte_blocklist', address: '203.0.113.7' },
      idempotency: 'query-first',
      undo: { action: 'opnsense.unblock_ip', input: (input) => ({ address: input.address }) },
      targets: (input) => [assetRef('ip', input.address)],
      openc2: { action: 'deny', target: 'ipv4_net', input: ipOf },
      async run(ctx: OpnsenseContext, { address }) {
        if ((await aliasEntries(ctx)).includes(address)) ctx.markAlreadyApplied();
        else await changeAlias(ctx, 'add', address);
        return { alias: ctx.config.blockAlias, address };
      },
    }),
    defineAction({
      name: 'opnsense.unblock_ip',
      description: 'Remove an address or range from the block alias',
      risk: 'contain',
      reverses: true,
      input: z.object({ address: Address }),
      output: Output,
      example: { alias: 'riposte_blocklist', address: '203.0.113.7' },
      idempotency: 'query-first',
      openc2: { action: 'allow', target: 'ipv4_net', input: ipOf },
      async run(ctx: OpnsenseContext, { address }) {
        if (!(await aliasEntries(ctx)).includes(address)) ctx.markAlreadyApplied();
        else await changeAlias(ctx, 'delete', address);
        return { alias: ctx.config.blockAlias, address };
      },
    }),
  ],
  async test(ctx) {
    const entries = await aliasEntries(ctx as OpnsenseContext);
    return { ok: true, message: `OPNsense accepted the API key; alias holds ${entries.length} entries` };
  },
});
