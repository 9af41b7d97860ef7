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
import { fileHashHunt, huntQuery, IndicatorType } from './indicator-hunt.js';

/**
 * Elasticsearch REST API (query DSL `_search`, ES|QL `_query`), and OpenSearch for `_search`. Clusters live
 * on their own hosts (Elastic Cloud: https://<deployment>.es.<region>.cloud.es.io); auth by an API key
 * (`Authorization: ApiKey <base64 id:key>`, the "encoded" value Kibana shows) or Basic credentials.
 */
export const ElasticsearchConfig = connectorConfig({
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: secret(z.string().min(8)).optional(),
  username: z.string().min(1).optional(),
  password: secret(z.string().min(1)).optional(),
  /** OpenSearch speaks the same query DSL but has no ES|QL. */
  flavor: z.enum(['elasticsearch', 'opensearch']).default('elasticsearch'),
  /** Index pattern searched when a step names none (ECS data streams). */
  defaultIndex: z.string().min(1).default('logs-*'),
});
export type ElasticsearchConfig = z.infer<typeof ElasticsearchConfig>;

type Ctx = ActionContext<ElasticsearchConfig>;

function authHeader(ctx: Ctx): Record<string, string> {
  const { apiKey, username, password } = ctx.config;
  if (apiKey) return { authorization: `ApiKey ${apiKey}` };
  if (username && password)
    return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
  throw new ConnectorError(
    ConnectorErrorCode.notConfigured,
    'the Elasticsearch instance needs an apiKey or a username and password',
    { retryable: false },
  );
}

const SearchResponse = z.object({
  took: z.number(),
  timed_out: z.boolean(),
  hits: z.object({
    total: z.union([z.number(), z.object({ value: z.number(), relation: z.string() })]).optional(),
    hits: z.array(
      z.object({
        _index: z.string(),
        _id: z.string(),
        _score: z.number().nullable().optional(),
        _source: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
  }),
});
const SearchOutput = z.object({
  total: z.number(),
  totalIsLowerBound: z.boolean(),
  took: z.number(),
  timedOut: z.boolean(),
  hits: z.array(
    z.object({
      index: z.string(),
      id: z.string(),
      score: z.number().nullable(),
      source: z.record(z.string(), z.unknown()),
    }),
  ),
});
type SearchOutput = z.infer<typeof SearchOutput>;

const IndexPattern = z
  .string()
  .regex(/^[^\s/\\?"<>|#]+$/, 'an index name or pattern (no spaces, slashes or #)');

async function search(ctx: Ctx, index: string, body: Record<string, unknown>): Promise<SearchOutput> {
  const res = SearchResponse.parse(
    await ctx.http.json(
      // A search changes nothing: retrying the POST is safe.
      {
        method: 'POST',
        path: `/${encodeURIComponent(index).replace(/%2C/g, ',').replace(/%2A/g, '*')}/_search`,
        headers: authHeader(ctx),
        json: body,
        idempotent: true,
      },
      ctx.signal,
    ),
  );
  const total = res.hits.total;
  return {
    total: typeof total === 'number' ? total : (total?.value ?? res.hits.hits.length),
    totalIsLowerBound: typeof total === 'object' && total.relation === 'gte',
    took: res.took,
    timedOut: res.timed_out,
    hits: res.hits.hits.map((h) => ({
      index: h._index,
      id: h._id,
      score: h._score ?? null,
      source: h._source ?? {},
    })),
  };
}

const searchExample: SearchOutput = {
  total: 1,
  totalIsLowerBound: false,
  took: 5,
  timedOut: false,
  hits: [
    {
      index: '.ds-logs-network-2026.11.20-000001',
      id: 'q3Yb4JMBx9',
      score: 1,
      source: {
        '@timestamp': '2026-11-20T08:00:00Z',
        source: { ip: '10.1.2.3' },
        destination: { ip: '203.0.113.7' },
      },
    },
  ],
};

export const elasticsearchConnector = defineConnector({
  name: 'elasticsearch',
  title: 'Elasticsearch / OpenSearch',
  description: 'Search with the query DSL or ES|QL, and hunt for an indicator across ECS fields.',
  config: ElasticsearchConfig,
  actions: [
    defineAction({
      name: 'elasticsearch.search',
      description: 'Query DSL search (_search) over an index or pattern',
      risk: 'read',
      input: z.object({
        index: IndexPattern.optional(),
        query: z.record(z.string(), z.unknown()),
        size: z.number().int().min(0).max(10_000).default(100),
        sort: z.array(z.unknown()).optional(),
        sourceFields: z.array(z.string()).optional(),
      }),
      output: SearchOutput,
      example: searchExample,
      idempotency: 'natural',
      run: (ctx: Ctx, input) =>
        search(ctx, input.index ?? ctx.config.defaultIndex, {
          query: input.query,
          size: input.size,
          ...(input.sort ? { sort: input.sort } : {}),
          ...(input.sourceFields ? { _source: input.sourceFields } : {}),
        }),
    }),
    defineAction({
      name: 'elasticsearch.hunt_indicator',
      description: 'Look for an IP, domain, URL or file hash across the ECS fields that carry it',
      risk: 'read',
      input: z.object({
        type: IndicatorType,
        value: z.string().min(1),
        index: IndexPattern.optional(),
        since: z.string().default('now-7d'),
        size: z.number().int().min(0).max(1_000).default(50),
      }),
      output: SearchOutput,
      example: searchExample,
      idempotency: 'natural',
      // OpenC2 `query file`: look for a file by hash in the SIEM (the strongest hash the intent gives).
      openc2: { action: 'query', target: 'file', input: fileHashHunt },
      run: (ctx: Ctx, input) =>
        search(ctx, input.index ?? ctx.config.defaultIndex, {
          query: huntQuery(input.type, input.value, input.since),
          size: input.size,
          sort: [{ '@timestamp': { order: 'desc', unmapped_type: 'date' } }],
        }),
    }),
    defineAction({
      name: 'elasticsearch.esql',
      description: 'Run an ES|QL query (_query); rows come back as objects keyed by column',
      risk: 'read',
      input: z.object({
        query: z.string().min(1),
        params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
      }),
      output: z.object({
        columns: z.array(z.object({ name: z.string(), type: z.string() })),
        rows: z.array(z.record(z.string(), z.unknown())),
      }),
      example: {
        columns: [
          { name: 'source.ip', type: 'ip' },
          { name: 'hits', type: 'long' },
        ],
        rows: [{ 'source.ip': '10.1.2.3', hits: 42 }],
      },
      idempotency: 'natural',
      async run(ctx: Ctx, input) {
        if (ctx.config.flavor === 'opensearch') {
          throw new ConnectorError(
            ConnectorErrorCode.rejected,
            'OpenSearch has no ES|QL: use elasticsearch.search with the query DSL',
            { retryable: false },
          );
        }
        const res = z
          .object({
            columns: z.array(z.object({ name: z.string(), type: z.string() })),
            values: z.array(z.array(z.unknown())),
          })
          .parse(
            await ctx.http.json(
              {
                method: 'POST',
                path: '/_query',
                query: { format: 'json' },
                headers: authHeader(ctx),
                json: { query: input.query, ...(input.params ? { params: input.params } : {}) },
                idempotent: true,
              },
              ctx.signal,
            ),
          );
        return {
          columns: res.columns,
          rows: res.values.map((row) => Object.fromEntries(res.columns.map((c, i) => [c.name, row[i]]))),
        };
      },
    }),
  ],
  async test(ctx) {
    const info = z
      .object({
        cluster_name: z.string(),
        version: z.looseObject({ number: z.string(), distribution: z.string().optional() }),
      })
      .parse(await ctx.http.json({ path: '/', headers: authHeader(ctx as Ctx) }, ctx.signal));
    return {
      ok: true,
      message: `${info.version.distribution ?? 'elasticsearch'} ${info.version.number} (cluster ${info.cluster_name}) accepted the credentials`,
    };
  },
});
