import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { stixObjectsToIndicators } from './stix-indicators.js';

/** TAXII 2.1 (OASIS, §5): the API root is the base URL; the media type carries the version. */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

export const TaxiiConfig = connectorConfig({
  username: z.string().optional(),
  password: secret(z.string().min(1)).optional(),
  /** Bearer token, for servers that use one instead of HTTP Basic. */
  token: secret(z.string().min(1)).optional(),
  /** Objects per page asked for; servers may send fewer. */
  pageSize: z.number().int().min(1).max(10_000).default(500),
  /** Pages per poll, so one step stays bounded; the cursor picks up the rest next time. */
  maxPages: z.number().int().min(1).max(1_000).default(20),
});
export type TaxiiConfig = z.infer<typeof TaxiiConfig>;

const Collections = z.object({
  collections: z
    .array(
      z.looseObject({
        id: z.string(),
        title: z.string(),
        can_read: z.boolean(),
        can_write: z.boolean(),
        media_types: z.array(z.string()).optional(),
      }),
    )
    .default([]),
});
const Envelope = z.object({
  more: z.boolean().default(false),
  next: z.string().optional(),
  objects: z.array(z.unknown()).default([]),
});

function headers(ctx: ActionContext<TaxiiConfig>): Record<string, string> {
  const h: Record<string, string> = { Accept: TAXII_MEDIA_TYPE };
  if (ctx.config.token) h.Authorization = `Bearer ${ctx.config.token}`;
  else if (ctx.config.username && ctx.config.password) {
    h.Authorization = `Basic ${Buffer.from(`${ctx.config.username}:${ctx.config.password}`).toString('base64')}`;
  }
  return h;
}

const PollOutput = z.object({
  objects: z.number(),
  indicators: z.number(),
  pages: z.number(),
  more: z.boolean(),
  cursor: z.string().nullable(),
});

export const taxiiConnector = defineConnector({
  name: 'taxii',
  title: 'STIX 2.1 / TAXII 2.1 feed',
  description:
    'Polls STIX indicators from a TAXII 2.1 collection into the local indicator store, and looks values up there.',
  config: TaxiiConfig,
  actions: [
    defineAction({
      name: 'taxii.list_collections',
      description: 'Collections of the API root (GET {api-root}/collections/)',
      risk: 'read',
      input: z.object({}),
      output: z.object({
        collections: z.array(z.object({ id: z.string(), title: z.string(), canRead: z.boolean() })),
      }),
      example: {
        collections: [
          {
            id: '91a7b528-80eb-42ed-a74d-c6fbd5a26116',
            title: 'High Value Indicator Collection',
            canRead: true,
          },
        ],
      },
      idempotency: 'natural',
      async run(ctx: ActionContext<TaxiiConfig>) {
        const body = Collections.parse(
          await ctx.http.json({ path: '/collections/', headers: headers(ctx) }, ctx.signal),
        );
        return {
          collections: body.collections.map((c) => ({ id: c.id, title: c.title, canRead: c.can_read })),
        };
      },
    }),
    defineAction({
      name: 'taxii.poll_collection',
      description:
        'Fetches objects added since the last poll (GET …/collections/{id}/objects/?added_after=…) into the indicator store',
      risk: 'read',
      input: z.object({ collectionId: z.string().min(1), addedAfter: z.iso.datetime().optional() }),
      output: PollOutput,
      example: { objects: 120, indicators: 87, pages: 1, more: false, cursor: '2026-11-25T10:00:00.000Z' },
      // Upserts by STIX id: polling the same page twice stores the same rows.
      idempotency: 'natural',
      async run(ctx: ActionContext<TaxiiConfig>, input): Promise<z.infer<typeof PollOutput>> {
        const source = `taxii:${ctx.instance}:${input.collectionId}`;
        let cursor = input.addedAfter ?? (await ctx.indicators.getCursor(source)) ?? null;
        let next: string | undefined;
        let objects = 0;
        let indicators = 0;
        let pages = 0;
        let more = false;
        do {
          const res = await ctx.http.request(
            {
              path: `/collections/${encodeURIComponent(input.collectionId)}/objects/`,
              query: {
                added_after: next ? undefined : (cursor ?? undefined),
                next,
                limit: ctx.config.pageSize,
                'match[type]': 'indicator',
              },
              headers: headers(ctx),
            },
            ctx.signal,
          );
          const envelope = Envelope.parse(res.json());
          pages++;
          objects += envelope.objects.length;
          indicators += await ctx.indicators.upsert(stixObjectsToIndicators(envelope.objects, source));
          // X-TAXII-Date-Added-Last is the resume point (TAXII 2.1 §3.4.3); keep the newest we saw.
          const last = res.headers['x-taxii-date-added-last'];
          if (last && (!cursor || last > cursor)) cursor = last;
          more = envelope.more;
          next = envelope.next;
        } while (more && next && pages < ctx.config.maxPages);
        if (cursor) await ctx.indicators.setCursor(source, cursor);
        return { objects, indicators, pages, more, cursor };
      },
    }),
  ],
  async test(ctx) {
    const body = Collections.parse(
      await ctx.http.json(
        { path: '/collections/', headers: headers(ctx as ActionContext<TaxiiConfig>) },
        ctx.signal,
      ),
    );
    return { ok: true, message: `TAXII API root answered with ${body.collections.length} collection(s)` };
  },
});
