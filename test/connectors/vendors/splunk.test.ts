import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { splunkConnector, splunkSearchId } from '../../../src/connectors/vendors/splunk/splunk.connector.js';
import { startSplunkFake, type SplunkFake } from '../fakes/splunk.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

const TOKEN = 'eyJraWQiOiJzcGx1bmsuc2VjcmV0Iiwi-splunk-token';
const NOTABLE = 'B4D1C2E3-0000-4000-8000-000000000001@@notable@@5f0e7c';

describe('splunk connector', () => {
  let fake: SplunkFake;
  let bed: Testbed & { sleeps: number[] };

  beforeAll(async () => {
    fake = await startSplunkFake(TOKEN);
    bed = await createTestbed(
      [splunkConnector],
      [
        { connector: 'splunk', config: { baseUrl: fake.url, token: TOKEN } },
        {
          connector: 'splunk',
          name: 'splunk-bad',
          config: { baseUrl: fake.url, token: 'expired-token-value' },
        },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await fake.close();
  });

  it('creates a search job with the documented form fields and a step-derived sid', async () => {
    const result = await bed.run(
      'splunk.create_search_job',
      { search: 'index=proxy src_ip=203.0.113.7 | stats count by src_ip', earliestTime: '-7d' },
      { idempotencyKey: 'hunt-1' },
    );
    expect(result.output).toEqual({ sid: splunkSearchId('hunt-1'), created: true });
    const form = new URLSearchParams(fake.requests.find((r) => r.method === 'POST')?.body);
    expect(Object.fromEntries(form)).toMatchObject({
      search: 'search index=proxy src_ip=203.0.113.7 | stats count by src_ip',
      earliest_time: '-7d',
      output_mode: 'json',
      exec_mode: 'normal',
    });
  });

  it('a retried step finds its job and starts no second search', async () => {
    const posts = fake.requests.filter(
      (r) => r.method === 'POST' && r.path === '/services/search/jobs',
    ).length;
    const again = await bed.run(
      'splunk.create_search_job',
      { search: 'index=proxy src_ip=203.0.113.7' },
      { idempotencyKey: 'hunt-1' },
    );
    expect(again).toMatchObject({ alreadyApplied: true, output: { created: false } });
    expect(
      fake.requests.filter((r) => r.method === 'POST' && r.path === '/services/search/jobs').length,
    ).toBe(posts);
  });

  it('polls the job to DONE and reads results (ready: false before)', async () => {
    const sid = splunkSearchId('hunt-2');
    await bed.run(
      'splunk.create_search_job',
      { search: '| tstats count where index=* by host' },
      { idempotencyKey: 'hunt-2' },
    );
    expect((await bed.run('splunk.get_search_results', { sid })).output).toEqual({
      ready: false,
      fields: [],
      results: [],
    });
    expect((await bed.run('splunk.get_search_job', { sid })).output).toMatchObject({
      state: 'RUNNING',
      done: false,
    });
    expect((await bed.run('splunk.get_search_job', { sid })).output).toMatchObject({
      state: 'DONE',
      done: true,
      resultCount: 1,
    });
    const results = await bed.run('splunk.get_search_results', { sid });
    expect(results.output).toEqual({
      ready: true,
      fields: ['_time', 'src_ip', 'count'],
      results: [{ _time: '2026-11-20T08:00:00.000+00:00', src_ip: '203.0.113.7', count: '42' }],
    });
  });

  it('hunts an indicator across CIM fields as a search job', async () => {
    const result = await bed.run(
      'splunk.hunt_indicator',
      { type: 'sha256', value: 'A'.repeat(64), index: 'edr' },
      { idempotencyKey: 'hunt-3' },
    );
    expect(result.output).toEqual({ sid: splunkSearchId('hunt-3'), created: true });
    const form = new URLSearchParams(fake.requests.filter((r) => r.method === 'POST').at(-1)?.body);
    const hash = 'a'.repeat(64);
    expect(form.get('search')).toBe(
      `search index=edr (file_hash="${hash}" OR process_hash="${hash}" OR sha256="${hash}") | sort 0 - _time`,
    );
    expect(form.get('earliest_time')).toBe('-7d');
  });

  it('refuses a hunt value that could carry SPL', async () => {
    await expect(
      bed.run('splunk.hunt_indicator', { type: 'domain', value: 'x" OR 1=1 | delete' }),
    ).rejects.toMatchObject({ code: 'CONNECTOR_INVALID_INPUT', message: expect.stringContaining('value') });
  });

  it('an unknown sid is a clear not-found', async () => {
    await expect(bed.run('splunk.get_search_job', { sid: 'nope' })).rejects.toMatchObject({
      code: 'CONNECTOR_NOT_FOUND',
      message: expect.stringContaining('Unknown sid'),
    });
  });

  it('updates a notable: status by name as its numeric id, owner and comment', async () => {
    const result = await bed.run('splunk.update_notable', {
      eventIds: [NOTABLE],
      status: 'in progress',
      newOwner: 'alice',
      comment: 'Riposte: host isolated',
    });
    expect(result.output).toEqual({ updated: 1, failed: 0, message: '1 event updated successfully' });
    expect(fake.notables.get(NOTABLE)).toMatchObject({
      status: '2',
      owner: 'alice',
      comments: ['Riposte: host isolated'],
    });
  });

  it('refused token: non-retryable auth failure without the token in the message', async () => {
    const err = await bed
      .run('splunk.get_search_job', { sid: 'x' }, { instance: 'splunk-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({
      code: 'CONNECTOR_AUTH_FAILED',
      retryable: false,
      message: expect.stringContaining('call not properly authenticated'),
    });
    expect((err as Error).message).not.toContain('expired-token-value');
  });

  it('test() reads server info', async () => {
    await expect(bed.runtime.testInstance('splunk-test', AbortSignal.timeout(5000))).resolves.toMatchObject({
      ok: true,
      message: expect.stringContaining('9.3.1'),
    });
  });
});
