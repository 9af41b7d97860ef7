import { z } from 'zod';
import { defineAction } from '../../framework/define-connector.js';
import { AffectedItems, wazuh, type WazuhContext } from './wazuh-api.js';

/**
 * Wazuh as a place to hunt (server API v4): the agent inventory (GET /agents) and the file-integrity
 * database of each agent (GET /syscheck/{agent_id}?hash=…), so a playbook can ask "which hosts hold this
 * file?" the same way it asks CrowdStrike or Defender.
 */

const AgentId = z.string().regex(/^\d{3,}$/, 'a Wazuh agent id such as 001');
const AgentStatus = z.enum(['active', 'disconnected', 'pending', 'never_connected']);
const Agent = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  ip: z.string().optional(),
  status: z.string().optional(),
  os: z.looseObject({ platform: z.string().optional() }).optional(),
  lastKeepAlive: z.string().optional(),
});
const AgentOut = z.object({
  id: z.string(),
  name: z.string().optional(),
  ip: z.string().optional(),
  status: z.string().optional(),
  platform: z.string().optional(),
  lastKeepAlive: z.string().optional(),
});
const FimFile = z.looseObject({
  file: z.string(),
  md5: z.string().optional(),
  sha1: z.string().optional(),
  sha256: z.string().optional(),
  mtime: z.string().optional(),
});
const Hash = z
  .string()
  .regex(/^([a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/i, 'an MD5, SHA-1 or SHA-256 in hex')
  .transform((h) => h.toLowerCase());

async function listAgents(
  ctx: WazuhContext,
  filter: { ip?: string; name?: string; status?: string; limit: number },
): Promise<{ agents: Array<z.infer<typeof AgentOut>>; total: number }> {
  const result = await wazuh(
    ctx,
    {
      path: '/agents',
      query: {
        ip: filter.ip,
        name: filter.name,
        status: filter.status,
        limit: filter.limit,
        select: 'id,name,ip,status,os.platform,lastKeepAlive',
      },
    },
    AffectedItems(Agent),
  );
  return {
    agents: result.affected_items.map((a) => ({
      id: a.id,
      name: a.name,
      ip: a.ip,
      status: a.status,
      platform: a.os?.platform,
      lastKeepAlive: a.lastKeepAlive,
    })),
    total: result.total_affected_items,
  };
}

export const wazuhListAgents = defineAction({
  name: 'wazuh.list_agents',
  description: 'Find agents by address, name or connection status (the Wazuh agent inventory)',
  risk: 'read',
  input: z.object({
    ip: z.union([z.ipv4(), z.ipv6()]).optional(),
    name: z.string().min(1).max(128).optional(),
    status: AgentStatus.optional(),
    limit: z.number().int().min(1).max(500).default(100),
  }),
  output: z.object({ agents: z.array(AgentOut), total: z.number() }),
  example: {
    agents: [{ id: '001', name: 'web-01', ip: '10.0.0.21', status: 'active', platform: 'ubuntu' }],
    total: 1,
  },
  idempotency: 'natural',
  run: (ctx: WazuhContext, input) => listAgents(ctx, input),
});

export const wazuhHuntFileHash = defineAction({
  name: 'wazuh.hunt_file_hash',
  description:
    'Look for a file hash in the file-integrity database of the given agents, or of every active agent',
  risk: 'read',
  input: z.object({
    hash: Hash,
    agents: z.array(AgentId).min(1).max(100).optional(),
  }),
  output: z.object({
    hash: z.string(),
    agentsSearched: z.number(),
    hits: z.array(z.object({ agent: z.string(), file: z.string(), mtime: z.string().optional() })),
  }),
  example: {
    hash: '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
    agentsSearched: 12,
    hits: [{ agent: '003', file: '/tmp/.x/kworker', mtime: '2026-11-30T09:12:44Z' }],
  },
  idempotency: 'natural',
  async run(ctx: WazuhContext, { hash, agents }) {
    const targets =
      agents ?? (await listAgents(ctx, { status: 'active', limit: 500 })).agents.map((a) => a.id);
    const hits: Array<{ agent: string; file: string; mtime?: string }> = [];
    for (const agent of targets) {
      const found = await wazuh(
        ctx,
        { path: `/syscheck/${agent}`, query: { hash, limit: 100, select: 'file,md5,sha1,sha256,mtime' } },
        AffectedItems(FimFile),
      );
      for (const f of found.affected_items) hits.push({ agent, file: f.file, mtime: f.mtime });
    }
    return { hash, agentsSearched: targets.length, hits };
  },
});
