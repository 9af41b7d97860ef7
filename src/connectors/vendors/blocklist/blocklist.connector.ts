import { z } from 'zod';
import { assetRef } from '../../safety/asset-ref.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';

/**
 * A generic REST block list: `GET|PUT|DELETE {listPath}/{entry}` with a bearer token. Fits simple in-house
 * block list services and is the reference containment connector (query-first, with undo).
 */
export const BlocklistConfig = connectorConfig({
  token: secret(z.string().min(1)),
  listPath: z.string().startsWith('/').default('/blocklist'),
});
export type BlocklistConfig = z.infer<typeof BlocklistConfig>;

const Entry = z
  .string()
  .regex(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/, 'an IPv4/IPv6 address or CIDR network')
  .describe('Address or CIDR, e.g. 203.0.113.7 or 203.0.113.0/24');
const BlockInput = z.object({ entry: Entry, comment: z.string().max(500).default('blocked by Riposte') });
const BlockOutput = z.object({ entry: z.string(), blocked: z.boolean() });

const entryPath = (ctx: ActionContext<BlocklistConfig>, entry: string) =>
  `${ctx.config.listPath}/${encodeURIComponent(entry)}`;
const auth = (ctx: ActionContext<BlocklistConfig>) => ({ Authorization: `Bearer ${ctx.config.token}` });

export const blocklistConnector = defineConnector({
  name: 'blocklist',
  title: 'Generic REST block list',
  description: 'Adds and removes addresses on a block list served over REST.',
  config: BlocklistConfig,
  actions: [
    defineAction({
      name: 'blocklist.block_ip',
      description: 'Adds an address or network to the block list',
      risk: 'contain',
      input: BlockInput,
      output: BlockOutput,
      example: { entry: '203.0.113.7', blocked: true },
      // Ask first: a retried step finds the entry there and sends nothing.
      idempotency: 'query-first',
      undo: { action: 'blocklist.unblock_ip', input: (input) => ({ entry: input.entry }) },
      targets: (input) => [assetRef('ip', input.entry)],
      openc2: {
        action: 'deny',
        target: 'ipv4_net',
        input: (t) => ({ entry: String(t.ipv4_net), comment: 'OpenC2 deny ipv4_net' }),
      },
      async run(ctx: ActionContext<BlocklistConfig>, input) {
        const present = await ctx.http.request(
          { path: entryPath(ctx, input.entry), headers: auth(ctx), okStatuses: [404] },
          ctx.signal,
        );
        if (present.status === 200) {
          ctx.markAlreadyApplied();
          return { entry: input.entry, blocked: true };
        }
        await ctx.http.request(
          {
            method: 'PUT',
            path: entryPath(ctx, input.entry),
            headers: auth(ctx),
            json: { comment: input.comment },
          },
          ctx.signal,
        );
        return { entry: input.entry, blocked: true };
      },
    }),
    defineAction({
      name: 'blocklist.unblock_ip',
      description: 'Removes an address or network from the block list',
      risk: 'contain',
      reverses: true,
      input: z.object({ entry: Entry }),
      output: BlockOutput,
      example: { entry: '203.0.113.7', blocked: false },
      idempotency: 'natural',
      openc2: { action: 'allow', target: 'ipv4_net', input: (t) => ({ entry: String(t.ipv4_net) }) },
      async run(ctx: ActionContext<BlocklistConfig>, input) {
        // Already gone (404) is the wanted end state.
        await ctx.http.request(
          { method: 'DELETE', path: entryPath(ctx, input.entry), headers: auth(ctx), okStatuses: [404] },
          ctx.signal,
        );
        return { entry: input.entry, blocked: false };
      },
    }),
  ],
  async test(ctx) {
    const config = ctx.config as BlocklistConfig;
    await ctx.http.request(
      { path: config.listPath, headers: { Authorization: `Bearer ${config.token}` } },
      ctx.signal,
    );
    return { ok: true, message: `block list at ${config.listPath} answered` };
  },
});
