import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { Verdict, verdictTtl } from '../../framework/verdict.js';

/** MISP REST API (https://www.misp-project.org/openapi/): the auth key in `Authorization`, JSON both ways. */
export const MispConfig = connectorConfig({
  apiKey: secret(z.string().min(8)),
  /** Only attributes flagged for detection (`to_ids`) make a verdict `malicious`. */
  requireToIds: z.boolean().default(true),
});
export type MispConfig = z.infer<typeof MispConfig>;

const Attribute = z.looseObject({
  id: z.string(),
  event_id: z.string(),
  type: z.string(),
  category: z.string(),
  value: z.string(),
  to_ids: z.boolean(),
  timestamp: z.string().optional(),
  comment: z.string().optional(),
  Event: z.looseObject({ id: z.string().optional(), info: z.string().optional() }).optional(),
});
const SearchResponse = z.object({ response: z.object({ Attribute: z.array(Attribute) }) });

const headers = (ctx: ActionContext<MispConfig>) => ({
  Authorization: ctx.config.apiKey,
  Accept: 'application/json',
  'Content-Type': 'application/json',
});

const AttributeOut = z.object({
  id: z.string(),
  eventId: z.string(),
  eventInfo: z.string().nullable(),
  type: z.string(),
  category: z.string(),
  value: z.string(),
  toIds: z.boolean(),
});

const SearchOutput = z.object({ verdict: Verdict, attributes: z.array(AttributeOut) });

export const mispConnector = defineConnector({
  name: 'misp',
  title: 'MISP',
  description: 'Attribute search and sightings on a MISP threat-sharing instance.',
  config: MispConfig,
  actions: [
    defineAction({
      name: 'misp.search_attributes',
      description: 'Attributes matching a value (POST /attributes/restSearch), with a verdict',
      risk: 'read',
      input: z.object({
        value: z.string().min(1),
        type: z.string().optional(),
        limit: z.number().int().min(1).max(1000).default(50),
      }),
      output: SearchOutput,
      example: {
        verdict: {
          indicator: '203.0.113.7',
          verdict: 'malicious',
          score: null,
          source: 'misp',
          summary: { attributes: 1, events: ['1234'] },
          reference: null,
        },
        attributes: [
          {
            id: '42',
            eventId: '1234',
            eventInfo: 'Emotet C2 wave',
            type: 'ip-dst',
            category: 'Network activity',
            value: '203.0.113.7',
            toIds: true,
          },
        ],
      },
      idempotency: 'natural',
      cache: { key: (i) => `${i.type ?? '*'}:${i.value}`, ttlMs: (o) => verdictTtl(o.verdict) },
      async run(ctx: ActionContext<MispConfig>, input): Promise<z.infer<typeof SearchOutput>> {
        const body = SearchResponse.parse(
          await ctx.http.json(
            {
              method: 'POST',
              path: '/attributes/restSearch',
              headers: headers(ctx),
              json: {
                returnFormat: 'json',
                value: input.value,
                type: input.type,
                limit: input.limit,
                includeEventTags: false,
              },
            },
            ctx.signal,
          ),
        );
        const attributes = body.response.Attribute.map((a) => ({
          id: a.id,
          eventId: a.event_id,
          eventInfo: a.Event?.info ?? null,
          type: a.type,
          category: a.category,
          value: a.value,
          toIds: a.to_ids,
        }));
        const detecting = attributes.filter((a) => a.toIds || !ctx.config.requireToIds);
        return {
          verdict: {
            indicator: input.value,
            verdict: detecting.length ? 'malicious' : attributes.length ? 'suspicious' : 'unknown',
            score: null,
            source: 'misp',
            summary: {
              attributes: attributes.length,
              events: [...new Set(attributes.map((a) => a.eventId))],
            },
            reference: null,
          },
          attributes,
        };
      },
    }),
    defineAction({
      name: 'misp.add_sighting',
      description:
        'Record a sighting (type 0), a false positive (1) or an expiration (2) of a value (POST /sightings/add)',
      risk: 'read',
      input: z.object({
        value: z.string().min(1),
        source: z.string().default('riposte'),
        type: z.enum(['0', '1', '2']).default('0'),
      }),
      output: z.object({ saved: z.boolean(), message: z.string() }),
      example: { saved: true, message: '1 sighting successfully added.' },
      // Each call is one more sighting: the engine must not repeat it blindly.
      idempotency: 'none',
      async run(ctx: ActionContext<MispConfig>, input) {
        const answer = (await ctx.http.json(
          {
            method: 'POST',
            path: '/sightings/add',
            headers: headers(ctx),
            json: { values: [input.value], source: input.source, type: input.type },
          },
          ctx.signal,
        )) as Record<string, unknown>;
        // MISP answers either the Sighting it created or a `{ saved, message }` summary, by version.
        if (answer && typeof answer === 'object' && 'Sighting' in answer)
          return { saved: true, message: 'sighting added' };
        return {
          saved: answer?.saved !== false,
          message: String(answer?.message ?? answer?.name ?? 'sighting added'),
        };
      },
    }),
  ],
  async test(ctx) {
    const config = ctx.config as MispConfig;
    const version = (await ctx.http.json(
      { path: '/servers/getVersion', headers: { Authorization: config.apiKey } },
      ctx.signal,
    )) as {
      version?: string;
    };
    return { ok: true, message: `MISP ${version?.version ?? '(unknown version)'} accepted the key` };
  },
});
