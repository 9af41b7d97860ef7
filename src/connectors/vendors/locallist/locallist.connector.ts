import { z } from 'zod';
import { rangesOverlap } from '../../safety/cidr.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  type ActionContext,
} from '../../framework/define-connector.js';
import { IndicatorTypes } from '../../framework/indicator-port.js';
import { Verdict } from '../../framework/verdict.js';
import { inferIndicatorType, readListFile } from './local-list.js';

/** Lists kept as files next to Riposte: a CSV of values or a STIX 2.1 bundle. No network. */
export const LocalListConfig = connectorConfig({
  path: z.string().min(1).describe('CSV file, or a .json STIX 2.1 bundle'),
  /** What a match means: a block list (`malicious`) or an allow list (`clean`). */
  listKind: z.enum(['block', 'allow']).default('block'),
});
export type LocalListConfig = z.infer<typeof LocalListConfig>;

const LookupOutput = Verdict;

export const localListConnector = defineConnector({
  name: 'locallist',
  title: 'Local lists (CSV / STIX files)',
  description:
    'Looks values up in a local CSV list or STIX 2.1 bundle; CIDR entries match the addresses they contain.',
  config: LocalListConfig,
  actions: [
    defineAction({
      name: 'locallist.lookup',
      description: 'Is the value on the list? (read from the file at each call, so edits apply at once)',
      risk: 'read',
      input: z.object({ value: z.string().min(1), type: z.enum(IndicatorTypes).optional() }),
      output: LookupOutput,
      example: {
        indicator: '203.0.113.7',
        verdict: 'malicious',
        score: null,
        source: 'locallist',
        summary: { list: 'blocked-ips', matches: ['203.0.113.0/24'] },
        reference: null,
      },
      idempotency: 'natural',
      async run(ctx: ActionContext<LocalListConfig>, input): Promise<Verdict> {
        const type = input.type ?? inferIndicatorType(input.value);
        const wanted = type === 'url' ? input.value : input.value.toLowerCase();
        const { indicators } = await readListFile(ctx.config.path, ctx.instance);
        const now = ctx.now();
        const matches = indicators.filter(
          (i) =>
            i.type === type &&
            (i.validUntil === null || i.validUntil > now) &&
            (i.value === wanted ||
              ((type === 'ipv4' || type === 'ipv6') &&
                i.value.includes('/') &&
                rangesOverlap(i.value, wanted))),
        );
        const hit = matches.length > 0;
        return {
          indicator: input.value,
          verdict: hit ? (ctx.config.listKind === 'block' ? 'malicious' : 'clean') : 'unknown',
          score: null,
          source: 'locallist',
          summary: { list: ctx.instance, matches: matches.map((m) => m.value) },
          reference: null,
        };
      },
    }),
    defineAction({
      name: 'locallist.import',
      description:
        'Loads the whole list into the local indicator store (for indicators.lookup and correlation)',
      risk: 'read',
      input: z.object({}),
      output: z.object({ indicators: z.number(), problems: z.array(z.string()) }),
      example: { indicators: 42, problems: [] },
      idempotency: 'natural',
      async run(ctx: ActionContext<LocalListConfig>) {
        const { indicators, problems } = await readListFile(ctx.config.path, `list:${ctx.instance}`);
        return { indicators: await ctx.indicators.upsert(indicators), problems: problems.slice(0, 50) };
      },
    }),
  ],
  async test(ctx) {
    const config = ctx.config as LocalListConfig;
    const { indicators, problems } = await readListFile(config.path, ctx.instance);
    return {
      ok: problems.length === 0,
      message: `${config.path}: ${indicators.length} entries${problems.length ? `, ${problems.length} unreadable (${problems[0]})` : ''}`,
    };
  },
});
