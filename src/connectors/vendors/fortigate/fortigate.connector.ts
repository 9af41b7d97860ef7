import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode, permanentError } from '../../framework/connector-errors.js';
import { defineAction, defineConnector } from '../../framework/define-connector.js';
import { assetRef } from '../../safety/asset-ref.js';
import {
  addressName,
  forti,
  FortiGateConfig,
  Results,
  toSubnet,
  type FortiGateContext,
} from './fortigate-api.js';

export { FortiGateConfig } from './fortigate-api.js';

const Ipv4OrCidr = z
  .string()
  .transform((v) => v.replace(/\/32$/, ''))
  .pipe(z.union([z.ipv4(), z.cidrv4()]));

const Group = z.looseObject({
  name: z.string(),
  member: z.array(z.looseObject({ name: z.string() })).default([]),
});
const Banned = z.looseObject({ ipv4: z.string().optional(), ip_address: z.string().optional() });

const BlockOutput = z.object({ address: z.string(), group: z.string(), subnet: z.string() });

const ipOf = (t: Record<string, unknown>) => ({ ip: String(t.ipv4_net ?? '') });

async function groupMembers(ctx: FortiGateContext, group: string): Promise<string[]> {
  const { status, body } = await forti(ctx, {
    path: `/api/v2/cmdb/firewall/addrgrp/${encodeURIComponent(group)}`,
    okStatuses: [404],
  });
  const found = status === 404 ? undefined : Results(Group).parse(body).results[0];
  if (!found) {
    throw permanentError(
      ConnectorErrorCode.notConfigured,
      `FortiGate has no address group ${group} in VDOM ${ctx.config.vdom}: create it and reference it from a deny policy`,
    );
  }
  return found.member.map((m) => m.name);
}

/** Deletes and treats "already gone" (404) as done; answers whether something was deleted. */
async function deleteIfPresent(ctx: FortiGateContext, path: string): Promise<boolean> {
  const { status } = await forti(ctx, { method: 'DELETE', path, okStatuses: [404] });
  return status !== 404;
}

/** Fortinet FortiGate: block addresses through an address group, or ban them (quarantine). */
export const fortigateConnector = defineConnector({
  name: 'fortigate',
  title: 'Fortinet FortiGate',
  description:
    'Block IPv4 addresses and ranges via an address group used by a deny policy, or ban them for a while.',
  config: FortiGateConfig,
  actions: [
    defineAction({
      name: 'fortigate.block_ip',
      description: 'Create an address object for the address or range and add it to the block address group',
      risk: 'contain',
      input: z.object({ ip: Ipv4OrCidr, comment: z.string().max(255).default('Blocked by Riposte') }),
      output: BlockOutput,
      example: {
        address: 'riposte-203.0.113.7',
        group: 'riposte-blocklist',
        subnet: '203.0.113.7 255.255.255.255',
      },
      idempotency: 'query-first',
      undo: { action: 'fortigate.unblock_ip', input: (input) => ({ ip: input.ip }) },
      targets: (input) => [assetRef('ip', input.ip)],
      openc2: {
        action: 'deny',
        target: 'ipv4_net',
        input: (t) => ({ ...ipOf(t), comment: 'OpenC2 deny ipv4_net' }),
      },
      async run(ctx: FortiGateContext, input) {
        const name = addressName(input.ip);
        const subnet = toSubnet(input.ip);
        const group = ctx.config.blockGroup;
        const members = await groupMembers(ctx, group);
        if (members.includes(name)) {
          ctx.markAlreadyApplied();
          return { address: name, group, subnet };
        }
        const { status } = await forti(ctx, {
          path: `/api/v2/cmdb/firewall/address/${encodeURIComponent(name)}`,
          okStatuses: [404],
        });
        if (status === 404) {
          await forti(ctx, {
            method: 'POST',
            path: '/api/v2/cmdb/firewall/address',
            json: { name, type: 'ipmask', subnet, comment: input.comment },
          });
        }
        // Appending to the member sub-table leaves other members alone (a PUT of the group would race).
        await forti(ctx, {
          method: 'POST',
          path: `/api/v2/cmdb/firewall/addrgrp/${encodeURIComponent(group)}/member`,
          json: { name },
        });
        return { address: name, group, subnet };
      },
    }),
    defineAction({
      name: 'fortigate.unblock_ip',
      description: 'Remove the address from the block group and delete its address object',
      risk: 'contain',
      reverses: true,
      input: z.object({ ip: Ipv4OrCidr }),
      output: z.object({ address: z.string(), removed: z.boolean() }),
      example: { address: 'riposte-203.0.113.7', removed: true },
      idempotency: 'natural',
      openc2: { action: 'allow', target: 'ipv4_net', input: ipOf },
      async run(ctx: FortiGateContext, input) {
        const name = addressName(input.ip);
        const group = encodeURIComponent(ctx.config.blockGroup);
        const removed = await deleteIfPresent(
          ctx,
          `/api/v2/cmdb/firewall/addrgrp/${group}/member/${encodeURIComponent(name)}`,
        );
        try {
          await deleteIfPresent(ctx, `/api/v2/cmdb/firewall/address/${encodeURIComponent(name)}`);
        } catch (err) {
          // Still referenced elsewhere (another group or policy someone added): unblocked is what was asked.
          if (!(err instanceof ConnectorError) || err.retryable) throw err;
          ctx.log.warn({ address: name, code: err.code }, 'address object left in place: still referenced');
        }
        if (!removed) ctx.markAlreadyApplied();
        return { address: name, removed };
      },
    }),
    defineAction({
      name: 'fortigate.ban_ip',
      description: 'Ban (quarantine) an address on the FortiGate for a while; it lifts itself at expiry',
      risk: 'contain',
      input: z.object({ ip: z.ipv4(), expirySeconds: z.number().int().min(0).max(31_536_000).default(3600) }),
      output: z.object({ ip: z.string(), expirySeconds: z.number() }),
      example: { ip: '203.0.113.7', expirySeconds: 3600 },
      idempotency: 'query-first',
      undo: { action: 'fortigate.unban_ip', input: (input) => ({ ip: input.ip }) },
      targets: (input) => [assetRef('ip', input.ip)],
      async run(ctx: FortiGateContext, input) {
        const { body } = await forti(ctx, { path: '/api/v2/monitor/user/banned' });
        const banned = Results(Banned)
          .parse(body)
          .results.some((b) => (b.ipv4 ?? b.ip_address) === input.ip);
        if (banned) {
          ctx.markAlreadyApplied();
          return input;
        }
        await forti(ctx, {
          method: 'POST',
          path: '/api/v2/monitor/user/banned/add_users',
          json: { ip_addresses: [input.ip], expiry: input.expirySeconds },
        });
        return input;
      },
    }),
    defineAction({
      name: 'fortigate.unban_ip',
      description: 'Lift the ban of an address',
      risk: 'contain',
      reverses: true,
      input: z.object({ ip: z.ipv4() }),
      output: z.object({ ip: z.string() }),
      example: { ip: '203.0.113.7' },
      // Clearing an address that is not banned changes nothing.
      idempotency: 'natural',
      async run(ctx: FortiGateContext, input) {
        await forti(ctx, {
          method: 'POST',
          path: '/api/v2/monitor/user/banned/clear_users',
          json: { ip_addresses: [input.ip] },
          idempotent: true,
        });
        return input;
      },
    }),
  ],
  async test(ctx) {
    const { body } = await forti(ctx as FortiGateContext, { path: '/api/v2/monitor/system/status' });
    const status = z
      .looseObject({ version: z.string().optional(), serial: z.string().optional() })
      .parse(body);
    return {
      ok: true,
      message: `FortiGate ${status.version ?? ''} (${status.serial ?? 'unknown serial'}) accepted the API key`,
    };
  },
});
