import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import { defineAction, defineConnector } from '../../framework/define-connector.js';
import { assetRef } from '../../safety/asset-ref.js';
import { AffectedItems, wazuh, WazuhConfig, type WazuhContext } from './wazuh-api.js';
import { wazuhHuntFileHash, wazuhListAgents } from './wazuh-hunt.actions.js';

export { WazuhConfig } from './wazuh-api.js';

/** Agent ids are three or more digits (`001`); `000` is the manager itself. */
const AgentId = z.string().regex(/^\d{3,}$/, 'a Wazuh agent id such as 001');
/** Active-response commands as named in ossec.conf, or `!script` to run a script by name. */
const Command = z.string().regex(/^!?[A-Za-z0-9._-]{1,64}$/, 'an active-response command name');

const ArOutput = z.object({
  command: z.string(),
  affectedAgents: z.array(z.string()),
  failedAgents: z.array(z.object({ agent: z.string(), error: z.string() })),
});
type ArOutput = z.infer<typeof ArOutput>;

async function runActiveResponse(
  ctx: WazuhContext,
  agents: readonly string[],
  body: { command: string; arguments?: string[]; alert?: unknown },
): Promise<ArOutput> {
  const result = await wazuh(
    ctx,
    { method: 'PUT', path: '/active-response', query: { agents_list: agents.join(',') }, json: body },
    AffectedItems(z.string()),
  );
  const failedAgents = result.failed_items.flatMap((f) =>
    f.id.map((agent) => ({ agent, error: f.error.message })),
  );
  if (result.total_affected_items === 0) {
    throw new ConnectorError(
      ConnectorErrorCode.rejected,
      `Wazuh sent ${body.command} to no agent: ${failedAgents.map((f) => `${f.agent}: ${f.error}`).join('; ') || 'no agent matched'}`,
      { retryable: false },
    );
  }
  return { command: body.command, affectedAgents: result.affected_items, failedAgents };
}

/** Wazuh: active responses on agents (firewall drops, custom scripts), and hunting across them. */
export const wazuhConnector = defineConnector({
  name: 'wazuh',
  title: 'Wazuh',
  description:
    'Run active-response commands on Wazuh agents (drop an attacker address in their firewall), find agents, ' +
    'and hunt a file hash in their file-integrity databases.',
  config: WazuhConfig,
  actions: [
    wazuhListAgents,
    wazuhHuntFileHash,
    defineAction({
      name: 'wazuh.block_ip',
      description:
        'Drop an address in the host firewall of the given agents (firewall-drop); it lifts itself after the ' +
        'timeout configured for the command on the manager, as Wazuh has no API call to remove it',
      risk: 'contain',
      input: z.object({
        ip: z.union([z.ipv4(), z.ipv6()]),
        agents: z.array(AgentId).min(1).max(500),
        command: Command.default('!firewall-drop'),
      }),
      output: ArOutput,
      example: { command: '!firewall-drop', affectedAgents: ['001', '002'], failedAgents: [] },
      // No state to query, but since 4.2 the agent's execd aborts a stateful command whose keys (the address)
      // are already in force, so a repeat drops nothing twice.
      idempotency: 'natural',
      targets: (input) => [assetRef('ip', input.ip)],
      // firewall-drop reads the address from the alert it is given, as when a rule triggers it.
      run: (ctx: WazuhContext, input) =>
        runActiveResponse(ctx, input.agents, {
          command: input.command,
          alert: { data: { srcip: input.ip } },
        }),
    }),
    defineAction({
      name: 'wazuh.run_active_response',
      description:
        'Run any active-response command defined on the manager on the given agents, with arguments',
      risk: 'contain',
      input: z.object({
        command: Command,
        agents: z.array(AgentId).min(1).max(500),
        arguments: z.array(z.string().max(1024)).max(32).default([]),
        /** The alert fields the script reads (`data.srcip`, `data.dstuser`…). */
        alert: z.record(z.string(), z.unknown()).optional(),
      }),
      output: ArOutput,
      example: { command: 'restart-wazuh', affectedAgents: ['001'], failedAgents: [] },
      // An arbitrary script: repeating it may repeat its effect.
      idempotency: 'none',
      targets: (input) => input.agents.map((a) => assetRef('host', a)),
      run: (ctx: WazuhContext, input) =>
        runActiveResponse(ctx, input.agents, {
          command: input.command,
          arguments: input.arguments,
          alert: input.alert,
        }),
    }),
  ],
  async test(ctx) {
    const info = await wazuh(
      ctx as WazuhContext,
      { path: '/' },
      z.looseObject({ api_version: z.string().optional() }),
    );
    return {
      ok: true,
      message: `Wazuh API ${info.api_version ?? ''} accepted the credentials`.replace('  ', ' '),
    };
  },
});
