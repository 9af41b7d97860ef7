import { z } from 'zod';
import { defineAction } from '../../framework/define-connector.js';
import { defender, type DefenderContext } from './defender-api.js';

const HuntingAnswer = z.looseObject({
  Schema: z.array(z.looseObject({ Name: z.string(), Type: z.string() })).optional(),
  Results: z.array(z.record(z.string(), z.unknown())),
});

const HuntingOutput = z.object({
  rows: z.array(z.record(z.string(), z.unknown())),
  columns: z.array(z.string()),
});
type HuntingOutput = z.infer<typeof HuntingOutput>;

async function runQuery(ctx: DefenderContext, query: string): Promise<HuntingOutput> {
  // A POST that only reads: repeating it is safe.
  const { body } = await defender(
    ctx,
    { method: 'POST', path: '/api/advancedqueries/run', json: { Query: query }, idempotent: true },
    HuntingAnswer,
  );
  return { rows: body.Results, columns: (body.Schema ?? []).map((c) => c.Name) };
}

export const advancedHunting = defineAction({
  name: 'defender.advanced_hunting',
  description: 'Run an advanced hunting (KQL) query over the last 30 days of device events',
  risk: 'read',
  input: z.object({ query: z.string().min(1).max(20_000) }),
  output: HuntingOutput,
  example: {
    rows: [
      { DeviceId: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07', DeviceName: 'ws-fin-042.contoso.com', Hits: 3 },
    ],
    columns: ['DeviceId', 'DeviceName', 'Hits'],
  },
  idempotency: 'natural',
  run: (ctx: DefenderContext, input) => runQuery(ctx, input.query),
});

const HUNT_VALUES = {
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/),
  ipv4: z.ipv4(),
  domain: z.string().regex(/^(?=.{1,253}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/),
} as const;

/** Values go into KQL string literals: the check below guarantees they hold no quote. */
const HuntInput = z
  .object({
    type: z.enum(['sha256', 'ipv4', 'domain']),
    value: z.string().min(1).max(253),
    days: z.number().int().min(1).max(30).default(7),
  })
  .superRefine((i, ctx) => {
    if (!HUNT_VALUES[i.type].safeParse(i.value).success) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `not a valid ${i.type} value` });
    }
  });
type HuntInput = z.infer<typeof HuntInput>;

export function huntingQuery(input: Pick<HuntInput, 'type' | 'value'>, days: number): string {
  const summary = `| summarize Hits = count(), LastSeen = max(Timestamp) by DeviceId, DeviceName`;
  const since = `| where Timestamp > ago(${days}d)`;
  switch (input.type) {
    case 'sha256':
      return `union DeviceProcessEvents, DeviceFileEvents ${since} | where SHA256 == '${input.value.toLowerCase()}' ${summary}`;
    case 'ipv4':
      return `DeviceNetworkEvents ${since} | where RemoteIP == '${input.value}' ${summary}`;
    case 'domain':
      return `DeviceNetworkEvents ${since} | where RemoteUrl has '${input.value}' ${summary}`;
  }
}

export const huntIndicator = defineAction({
  name: 'defender.hunt_indicator',
  description: 'Devices that saw an indicator (file hash, IP, domain) in the last days, by advanced hunting',
  risk: 'read',
  input: HuntInput,
  output: HuntingOutput,
  example: {
    rows: [
      {
        DeviceId: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
        DeviceName: 'ws-fin-042.contoso.com',
        Hits: 2,
        LastSeen: '2026-11-25T08:01:12Z',
      },
    ],
    columns: ['DeviceId', 'DeviceName', 'Hits', 'LastSeen'],
  },
  idempotency: 'natural',
  run: (ctx: DefenderContext, input) => runQuery(ctx, huntingQuery(input, input.days)),
});
