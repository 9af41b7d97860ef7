import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { elasticsearchConnector } from '../../../src/connectors/vendors/elasticsearch/elasticsearch.connector.js';
import { startElasticsearchFake, type ElasticsearchFake } from '../fakes/elasticsearch.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

const API_KEY = Buffer.from('VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw').toString('base64');

describe('elasticsearch connector', () => {
  let fake: ElasticsearchFake;
  let bed: Testbed & { sleeps: number[] };

  beforeAll(async () => {
    fake = await startElasticsearchFake(API_KEY);
    bed = await createTestbed(
      [elasticsearchConnector],
      [
        { connector: 'elasticsearch', config: { baseUrl: fake.url, apiKey: API_KEY } },
        {
          connector: 'elasticsearch',
          name: 'opensearch',
          config: { baseUrl: fake.url, apiKey: API_KEY, flavor: 'opensearch' },
        },
        {
          connector: 'elasticsearch',
          name: 'es-bad',
          config: { baseUrl: fake.url, apiKey: 'bm90LXRoZS1rZXk6eHh4' },
        },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await fake.close();
  });

  it('runs a query DSL search', async () => {
    const result = await bed.run('elasticsearch.search', {
      index: 'logs-network-*',
      query: { term: { 'destination.ip': '203.0.113.7' } },
      size: 10,
    });
    expect(result.output).toMatchObject({
      total: 1,
      totalIsLowerBound: false,
      timedOut: false,
      hits: [{ source: { destination: { ip: '203.0.113.7' } } }],
    });
    const sent = fake.requests.at(-1);
    expect(sent).toMatchObject({ method: 'POST', path: '/logs-network-*/_search' });
    expect(sent?.json).toEqual({ query: { term: { 'destination.ip': '203.0.113.7' } }, size: 10 });
  });

  it('hunts an indicator across its ECS fields', async () => {
    const ip = await bed.run('elasticsearch.hunt_indicator', { type: 'ip', value: '10.1.2.4' });
    expect((ip.output as { total: number }).total).toBe(1);
    const hash = await bed.run('elasticsearch.hunt_indicator', { type: 'sha256', value: 'A'.repeat(64) });
    expect(hash.output).toMatchObject({ total: 1, hits: [{ source: { host: { name: 'FIN-LT-042' } } }] });
  });

  it('carries out the OpenC2 intent query file as a hash hunt', async () => {
    const result = await bed.run(
      'openc2.query.file',
      { hashes: { md5: 'f'.repeat(32), sha256: 'a'.repeat(64) } },
      { instance: 'elasticsearch-test' },
    );
    expect(result.output).toMatchObject({ total: 1, hits: [{ source: { host: { name: 'FIN-LT-042' } } }] });
    const sent = fake.requests.at(-1)?.json as {
      query: { bool: { should: Array<{ term: Record<string, string> }> } };
    };
    expect(sent.query.bool.should[0]).toEqual({ term: { 'file.hash.sha256': 'a'.repeat(64) } });
  });

  it('runs ES|QL and returns rows keyed by column', async () => {
    const result = await bed.run('elasticsearch.esql', {
      query: 'FROM logs-* | STATS hits = COUNT(*) BY source.ip',
    });
    expect(result.output).toEqual({
      columns: [
        { name: 'source.ip', type: 'ip' },
        { name: 'hits', type: 'long' },
      ],
      rows: [
        { 'source.ip': '10.1.2.3', hits: 42 },
        { 'source.ip': '10.1.2.4', hits: 7 },
      ],
    });
  });

  it('refuses ES|QL on OpenSearch without calling it', async () => {
    const before = fake.requests.length;
    await expect(
      bed.run('elasticsearch.esql', { query: 'FROM x' }, { instance: 'opensearch' }),
    ).rejects.toMatchObject({
      code: 'CONNECTOR_REQUEST_REJECTED',
      message: expect.stringContaining('OpenSearch has no ES|QL'),
    });
    expect(fake.requests.length).toBe(before);
  });

  it('a missing index is a non-retryable not-found naming the index', async () => {
    await expect(
      bed.run('elasticsearch.search', { index: 'nope', query: { match_all: {} } }),
    ).rejects.toMatchObject({
      code: 'CONNECTOR_NOT_FOUND',
      retryable: false,
      message: expect.stringContaining('no such index [nope]'),
    });
  });

  it('retries a 429 (rejected execution) with backoff', async () => {
    fake.overloadNext(2);
    bed.sleeps.length = 0;
    const result = await bed.run('elasticsearch.search', { query: { match_all: {} } });
    expect((result.output as { total: number }).total).toBe(3);
    expect(bed.sleeps).toHaveLength(2);
  });

  it('refused API key: non-retryable auth failure, key not echoed', async () => {
    const err = await bed
      .run('elasticsearch.search', { query: { match_all: {} } }, { instance: 'es-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({
      code: 'CONNECTOR_AUTH_FAILED',
      retryable: false,
      message: expect.stringContaining('security_exception'),
    });
    expect((err as Error).message).not.toContain('bm90LXRoZS1rZXk6eHh4');
  });

  it('test() reads the cluster info', async () => {
    await expect(
      bed.runtime.testInstance('elasticsearch-test', AbortSignal.timeout(5000)),
    ).resolves.toMatchObject({ ok: true, message: expect.stringContaining('8.15.2') });
  });
});
