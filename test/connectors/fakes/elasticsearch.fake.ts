import { startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server.js';

/** Elasticsearch's documented error body: `{ error: { root_cause, type, reason }, status }`. */
const esError = (
  status: number,
  type: string,
  reason: string,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
): FakeReply => ({
  status,
  headers,
  body: { error: { root_cause: [{ type, reason, ...extra }], type, reason, ...extra }, status },
});

export const ES_DOCS: Array<Record<string, unknown>> = [
  {
    '@timestamp': '2026-11-20T08:00:00Z',
    source: { ip: '10.1.2.3' },
    destination: { ip: '203.0.113.7', domain: 'evil.example.net' },
    event: { category: 'network' },
  },
  {
    '@timestamp': '2026-11-20T08:05:00Z',
    file: { hash: { sha256: 'a'.repeat(64) } },
    host: { name: 'FIN-LT-042' },
  },
  { '@timestamp': '2026-11-20T08:10:00Z', source: { ip: '10.1.2.4' }, destination: { ip: '198.51.100.9' } },
];

const get = (doc: Record<string, unknown>, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      doc,
    );

/** Enough of the query DSL for the connector's queries: match_all, term, range (accepted), bool. */
function matches(doc: Record<string, unknown>, query: Record<string, unknown>): boolean {
  if ('match_all' in query) return true;
  if ('range' in query) return true;
  if ('term' in query) {
    const [field, value] = Object.entries(query.term as Record<string, unknown>)[0] ?? [];
    return field !== undefined && get(doc, field) === value;
  }
  if ('bool' in query) {
    const b = query.bool as {
      filter?: Record<string, unknown>[];
      must?: Record<string, unknown>[];
      should?: Record<string, unknown>[];
      minimum_should_match?: number;
    };
    const all = [...(b.filter ?? []), ...(b.must ?? [])].every((q) => matches(doc, q));
    const should = b.should ?? [];
    const hit = should.filter((q) => matches(doc, q)).length;
    return all && hit >= (b.minimum_should_match ?? (should.length ? 1 : 0));
  }
  throw new Error(`unsupported query ${Object.keys(query).join(',')}`);
}

export interface ElasticsearchFake extends FakeServer {
  overloadNext(times: number): void;
}

/** An Elasticsearch 8 cluster with one `logs-*` data stream, checking ApiKey auth and request shapes. */
export async function startElasticsearchFake(encodedApiKey: string): Promise<ElasticsearchFake> {
  let overloaded = 0;
  function handle(req: RecordedRequest): FakeReply {
    if (req.headers.authorization !== `ApiKey ${encodedApiKey}`) {
      return esError(
        401,
        'security_exception',
        'unable to authenticate with provided credentials and anonymous access is not allowed for this request',
        { additional_unsuccessful_credentials: 'API key: invalid' },
        { 'www-authenticate': 'ApiKey' },
      );
    }
    if (overloaded > 0) {
      overloaded--;
      return esError(429, 'es_rejected_execution_exception', 'rejected execution of coordinating operation');
    }
    if (req.method === 'GET' && req.path === '/') {
      return {
        status: 200,
        body: {
          name: 'es-01',
          cluster_name: 'soc-cluster',
          cluster_uuid: 'x1',
          version: { number: '8.15.2', build_flavor: 'default', lucene_version: '9.11.1' },
          tagline: 'You Know, for Search',
        },
      };
    }
    const s = /^\/([^/]+)\/_search$/.exec(req.path);
    if (s?.[1] && req.method === 'POST') {
      const index = decodeURIComponent(s[1]);
      if (!index.startsWith('logs-'))
        return esError(404, 'index_not_found_exception', `no such index [${index}]`, {
          'resource.type': 'index_or_alias',
          'resource.id': index,
          index,
        });
      const body = req.json as { query?: Record<string, unknown>; size?: number } | undefined;
      if (!body?.query || typeof body.query !== 'object')
        return esError(400, 'parsing_exception', 'Unknown key for a VALUE_STRING in [query].', {
          line: 1,
          col: 10,
        });
      const hits = ES_DOCS.filter((d) => matches(d, body.query as Record<string, unknown>));
      return {
        status: 200,
        body: {
          took: 3,
          timed_out: false,
          _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
          hits: {
            total: { value: hits.length, relation: 'eq' },
            max_score: null,
            hits: hits.slice(0, body.size ?? 10).map((d, i) => ({
              _index: '.ds-logs-network-2026.11.20-000001',
              _id: `doc-${i}`,
              _score: null,
              _source: d,
            })),
          },
        },
      };
    }
    if (req.method === 'POST' && req.path === '/_query') {
      const query = (req.json as { query?: unknown } | undefined)?.query;
      if (typeof query !== 'string' || !/^\s*(FROM|ROW|SHOW)\b/i.test(query))
        return esError(
          400,
          'parsing_exception',
          "line 1:1: mismatched input expecting {'from', 'row', 'show'}",
        );
      if (req.query.get('format') !== 'json')
        return esError(400, 'illegal_argument_exception', 'format json expected by this fake');
      return {
        status: 200,
        body: {
          columns: [
            { name: 'source.ip', type: 'ip' },
            { name: 'hits', type: 'long' },
          ],
          values: [
            ['10.1.2.3', 42],
            ['10.1.2.4', 7],
          ],
        },
      };
    }
    return esError(
      405,
      'illegal_argument_exception',
      `Incorrect HTTP method for uri [${req.path}] and method [${req.method}]`,
    );
  }
  const server = await startFakeServer(handle);
  return {
    ...server,
    overloadNext(times) {
      overloaded = times;
    },
  };
}
