import { z } from 'zod';
import { defineAction, defineConnector, type ActionContext } from '../../framework/define-connector.js';
import { IndicatorTypes } from '../../framework/indicator-port.js';
import { Verdict } from '../../framework/verdict.js';

/** The local indicator store (filled by taxii.poll_collection and locallist.import): needs no instance. */
const IndicatorsConfig = z.object({});

export const indicatorsConnector = defineConnector({
  name: 'indicators',
  title: 'Local indicator store',
  description: 'Looks values up among the STIX and list indicators Riposte keeps locally.',
  config: IndicatorsConfig,
  instanceless: true,
  actions: [
    defineAction({
      name: 'indicators.lookup',
      description:
        'Is the value a current indicator in the local store (from any polled feed or imported list)?',
      risk: 'read',
      input: z.object({ type: z.enum(IndicatorTypes), value: z.string().min(1) }),
      output: Verdict,
      example: {
        indicator: '198.51.100.3',
        verdict: 'malicious',
        score: 85,
        source: 'indicators',
        summary: {
          matches: 1,
          names: ['IP Address for known C2 channel'],
          labels: ['malicious-activity'],
          sources: ['taxii:feed:coll-1'],
        },
        reference: 'indicator--33fe3b22-0201-47cf-85d0-97c02164528d',
      },
      idempotency: 'natural',
      async run(ctx: ActionContext<unknown>, input): Promise<Verdict> {
        const matches = await ctx.indicators.find(input.type, input.value, ctx.now());
        const best = Math.max(-1, ...matches.map((m) => m.confidence ?? -1));
        return {
          indicator: input.value,
          verdict: matches.length ? 'malicious' : 'unknown',
          score: best >= 0 ? best : null,
          source: 'indicators',
          summary: {
            matches: matches.length,
            names: matches.map((m) => m.name).filter(Boolean),
            labels: [...new Set(matches.flatMap((m) => m.labels))],
            sources: [...new Set(matches.map((m) => m.source))],
          },
          reference: matches[0]?.id.split('#')[0] ?? null,
        };
      },
    }),
  ],
  async test() {
    return { ok: true, message: 'the local indicator store needs no connection' };
  },
});
