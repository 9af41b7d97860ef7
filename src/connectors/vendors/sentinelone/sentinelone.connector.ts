import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';
import { assetRef } from '../../safety/asset-ref.js';

/** SentinelOne Management API v2.1: `Authorization: ApiToken {token}`, answers `{ data, pagination, errors }`. */
export const SentinelOneConfig = connectorConfig({
  /** The management console: https://{tenant}.sentinelone.net. */
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiToken: secret(z.string().min(8)),
});
export type SentinelOneConfig = z.infer<typeof SentinelOneConfig>;
type S1Context = ActionContext<SentinelOneConfig>;

const API = '/web/api/v2.1';

async function s1<T extends z.ZodType>(ctx: S1Context, req: HttpRequest, data: T): Promise<z.infer<T>> {
  const res = await ctx.http.request(
    {
      ...req,
      path: `${API}${req.path}`,
      headers: { ...req.headers, Authorization: `ApiToken ${ctx.config.apiToken}` },
    },
    ctx.signal,
  );
  const body = z.looseObject({ data: z.unknown() }).parse(res.json());
  return data.parse(body.data) as z.infer<T>;
}

const NetworkStatus = z.enum(['connected', 'connecting', 'disconnected', 'disconnecting']);
const Agent = z.looseObject({ id: z.string(), computerName: z.string(), networkStatus: NetworkStatus });
type Agent = z.infer<typeof Agent>;

const AgentInput = z
  .object({
    agentId: z
      .string()
      .regex(/^\d{6,20}$/, 'a SentinelOne agent id is numeric')
      .optional(),
    computerName: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,253}$/, 'a computer name (letters, digits, dot, dash)')
      .optional(),
  })
  .refine((i) => i.agentId ?? i.computerName, 'give agentId or computerName');
type AgentInput = z.infer<typeof AgentInput>;

const AgentOutput = z.object({ agentId: z.string(), computerName: z.string(), networkStatus: NetworkStatus });
type AgentOutput = z.infer<typeof AgentOutput>;

async function findAgent(ctx: S1Context, input: AgentInput): Promise<Agent> {
  const query = input.agentId ? { ids: input.agentId } : { computerName: input.computerName };
  const agents = await s1(ctx, { path: '/agents', query: { ...query, limit: 2 } }, z.array(Agent));
  if (agents.length !== 1) {
    const which = input.agentId ?? input.computerName;
    throw new ConnectorError(
      agents.length ? ConnectorErrorCode.rejected : ConnectorErrorCode.notFound,
      agents.length
        ? `SentinelOne has several agents named ${which}: give the agentId`
        : `SentinelOne has no agent ${which}`,
      { retryable: false },
    );
  }
  return agents[0] as Agent;
}

/** Query-first: an agent already (being) cut off or reconnected is left alone. */
async function setNetwork(
  ctx: S1Context,
  input: AgentInput,
  want: 'disconnect' | 'connect',
): Promise<AgentOutput> {
  const agent = await findAgent(ctx, input);
  const done = want === 'disconnect' ? ['disconnected', 'disconnecting'] : ['connected', 'connecting'];
  const out = { agentId: agent.id, computerName: agent.computerName };
  if (done.includes(agent.networkStatus)) {
    ctx.markAlreadyApplied();
    return { ...out, networkStatus: agent.networkStatus };
  }
  const result = await s1(
    ctx,
    { method: 'POST', path: `/agents/actions/${want}`, json: { filter: { ids: [agent.id] } } },
    z.looseObject({ affected: z.number() }),
  );
  if (result.affected !== 1) {
    throw new ConnectorError(
      ConnectorErrorCode.rejected,
      `SentinelOne ${want} affected ${result.affected} agents, not 1`,
      {
        retryable: false,
      },
    );
  }
  return { ...out, networkStatus: want === 'disconnect' ? 'disconnecting' : 'connecting' };
}

const deviceOf = (t: Record<string, unknown>) => ({
  agentId: typeof t.device_id === 'string' ? t.device_id : undefined,
  computerName: typeof t.hostname === 'string' ? t.hostname : undefined,
});
const example = (networkStatus: AgentOutput['networkStatus']): AgentOutput => ({
  agentId: '1031599153374432181',
  computerName: 'WS-FIN-042',
  networkStatus,
});

/** SentinelOne Singularity: network quarantine (disconnect) of endpoints. */
export const sentineloneConnector = defineConnector({
  name: 'sentinelone',
  title: 'SentinelOne',
  description: 'Disconnect endpoints from the network (they keep talking to the console) and reconnect them.',
  config: SentinelOneConfig,
  actions: [
    defineAction({
      name: 'sentinelone.disconnect_agent',
      description: 'Disconnect an endpoint from the network, except for the management console',
      risk: 'contain',
      input: AgentInput,
      output: AgentOutput,
      example: example('disconnecting'),
      idempotency: 'query-first',
      undo: {
        action: 'sentinelone.reconnect_agent',
        input: (_input, output) => ({ agentId: output.agentId }),
      },
      targets: (input) => [assetRef('host', input.computerName ?? input.agentId ?? '')],
      openc2: { action: 'contain', target: 'device', input: deviceOf },
      run: (ctx: S1Context, input) => setNetwork(ctx, input, 'disconnect'),
    }),
    defineAction({
      name: 'sentinelone.reconnect_agent',
      description: 'Reconnect a disconnected endpoint to the network',
      risk: 'contain',
      reverses: true,
      input: AgentInput,
      output: AgentOutput,
      example: example('connecting'),
      idempotency: 'query-first',
      openc2: { action: 'allow', target: 'device', input: deviceOf },
      run: (ctx: S1Context, input) => setNetwork(ctx, input, 'connect'),
    }),
  ],
  async test(ctx) {
    const status = await s1(
      ctx as S1Context,
      { path: '/system/status' },
      z.looseObject({ health: z.string().optional() }),
    );
    return {
      ok: true,
      message: `SentinelOne accepted the API token (health: ${status.health ?? 'unknown'})`,
    };
  },
});
