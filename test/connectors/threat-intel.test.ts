import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { abuseIpdbFake } from './fakes/abuseipdb.fake.js';
import { startFakeServer, type FakeServer } from './fakes/fake-server.js';
import { mispFake } from './fakes/misp.fake.js';
import { taxiiFake } from './fakes/taxii.fake.js';
import { urlhausFake } from './fakes/urlhaus.fake.js';
import { virusTotalFake } from './fakes/virustotal.fake.js';
import { createHarness, rejection, type Harness } from './support/connector-harness.js';

const VT_KEY = 'vt-key-0123456789abcdef';
const ABUSE_KEY = 'abuse-key-0123456789';
const MISP_KEY = 'misp-key-0123456789abcdef';
const URLHAUS_KEY = 'urlhaus-key-0123456789';
const SAMPLE = '/work/shared/samples/stix/stix21_poisonivy.json';
const sampleObjects = (JSON.parse(readFileSync(SAMPLE, 'utf8')) as { objects: unknown[] }).objects;

describe.each(DIALECTS)('threat-intelligence connectors on %s', (dialect) => {
  let handle: TestStoreHandle;
  let h: Harness;
  let vt: FakeServer;
  let abuse: FakeServer;
  let misp: FakeServer;
  let urlhaus: FakeServer;
  let taxii: FakeServer;
  let vtQuota = false;
  let abuseLimited = false;

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    h = createHarness(handle.store);
    vt = await startFakeServer(
      virusTotalFake({
        apiKey: VT_KEY,
        known: {
          '203.0.113.7': { malicious: 9, harmless: 50 },
          'example.com': { malicious: 0, harmless: 70 },
          [Buffer.from('http://bad.example/x').toString('base64url')]: { malicious: 1, harmless: 60 },
        },
        quotaExceeded: () => vtQuota,
      }),
    );
    abuse = await startFakeServer(
      abuseIpdbFake({ apiKey: ABUSE_KEY, scores: { '118.25.6.39': 100 }, limited: () => abuseLimited }),
    );
    misp = await startFakeServer(
      mispFake({
        apiKey: MISP_KEY,
        attributes: [{ value: '198.51.100.9', type: 'ip-dst', to_ids: true, event_id: '77' }],
      }),
    );
    urlhaus = await startFakeServer(
      urlhausFake({ authKey: URLHAUS_KEY, urls: { 'http://203.0.113.50/bins/x.arm7': 'online' } }),
    );
    taxii = await startFakeServer(
      taxiiFake({
        root: '/taxii2/api1',
        user: 'feed',
        password: 'feed-pass-123',
        collectionId: 'coll-1',
        pages: [sampleObjects.slice(0, 10), sampleObjects.slice(10)],
      }),
    );
    await h.addInstance('vt', 'virustotal', { baseUrl: `${vt.url}/api/v3`, apiKey: VT_KEY }, true);
    await h.addInstance('vt-badkey', 'virustotal', {
      baseUrl: `${vt.url}/api/v3`,
      apiKey: 'wrong-key-000000',
    });
    await h.addInstance('abuse', 'abuseipdb', { baseUrl: `${abuse.url}/api/v2`, apiKey: ABUSE_KEY }, true);
    await h.addInstance('misp', 'misp', { baseUrl: misp.url, apiKey: MISP_KEY }, true);
    await h.addInstance('urlhaus', 'urlhaus', { baseUrl: `${urlhaus.url}/v1`, authKey: URLHAUS_KEY }, true);
    await h.addInstance(
      'feed',
      'taxii',
      { baseUrl: `${taxii.url}/taxii2/api1`, username: 'feed', password: 'feed-pass-123' },
      true,
    );
  });
  afterAll(async () => {
    await h.close();
    await Promise.all([vt, abuse, misp, urlhaus, taxii].map((s) => s.close()));
    await handle.cleanup();
  });

  describe('VirusTotal v3', () => {
    it('looks up an IP with the x-apikey header and maps the analysis stats to a verdict', async () => {
      const { output } = await h.run('virustotal.lookup_ip', { value: '203.0.113.7' });
      expect(output).toMatchObject({ indicator: '203.0.113.7', verdict: 'malicious', source: 'virustotal' });
      const req = vt.requests.at(-1);
      expect(req?.method).toBe('GET');
      expect(req?.path).toBe('/api/v3/ip_addresses/203.0.113.7');
    });

    it('answers the second lookup from the verdict cache without calling VirusTotal', async () => {
      const before = vt.requests.length;
      const result = await h.run('virustotal.lookup_ip', { value: '203.0.113.7' });
      expect(result.cached).toBe(true);
      expect(vt.requests.length).toBe(before);
    });

    it('asks again once the verdict has outlived its TTL (24 h for malicious)', async () => {
      const before = vt.requests.length;
      h.clock.advance(23 * 3_600_000);
      expect((await h.run('virustotal.lookup_ip', { value: '203.0.113.7' })).cached).toBe(true);
      h.clock.advance(2 * 3_600_000);
      expect((await h.run('virustotal.lookup_ip', { value: '203.0.113.7' })).cached).toBeUndefined();
      expect(vt.requests.length).toBe(before + 1);
    });

    it('looks up domains, base64url URL ids and treats NotFoundError as unknown', async () => {
      expect((await h.run('virustotal.lookup_domain', { value: 'example.com' })).output).toMatchObject({
        verdict: 'clean',
      });
      expect((await h.run('virustotal.lookup_url', { value: 'http://bad.example/x' })).output).toMatchObject({
        verdict: 'suspicious',
      });
      expect(vt.requests.at(-1)?.path).toBe(
        `/api/v3/urls/${Buffer.from('http://bad.example/x').toString('base64url')}`,
      );
      expect((await h.run('virustotal.lookup_file', { value: 'a'.repeat(64) })).output).toMatchObject({
        verdict: 'unknown',
        summary: { seen: false },
      });
    });

    it('fails on a wrong key without retrying and without the key in the message', async () => {
      const err = await rejection(
        h.run('virustotal.lookup_ip', { value: '192.0.2.1' }, { instance: 'vt-badkey' }),
      );
      expect(err.code).toBe('CONNECTOR_AUTH_FAILED');
      expect(err.retryable).toBe(false);
      expect(err.message).not.toContain('wrong-key-000000');
    });

    it('reports QuotaExceededError (429) as retryable rate limiting', async () => {
      vtQuota = true;
      try {
        const err = await rejection(h.run('virustotal.lookup_ip', { value: '192.0.2.2' }));
        expect(err.code).toBe('CONNECTOR_RATE_LIMITED');
        expect(err.retryable).toBe(true);
      } finally {
        vtQuota = false;
      }
    });

    it('refuses invalid input before any call', async () => {
      const before = vt.requests.length;
      const err = await rejection(h.run('virustotal.lookup_ip', { value: 'not-an-ip' }));
      expect(err.code).toBe('CONNECTOR_INVALID_INPUT');
      expect(err.message).toContain('value');
      expect(vt.requests.length).toBe(before);
    });
  });

  describe('AbuseIPDB v2', () => {
    it('checks an IP with Key and Accept headers and maxAgeInDays', async () => {
      const { output } = await h.run('abuseipdb.check_ip', { value: '118.25.6.39' });
      expect(output).toMatchObject({ verdict: 'malicious', score: 100, summary: { totalReports: 12 } });
      const req = abuse.requests.at(-1);
      expect(req?.path).toBe('/api/v2/check');
      expect(req?.query.get('ipAddress')).toBe('118.25.6.39');
      expect(req?.query.get('maxAgeInDays')).toBe('90');
    });

    it('reports an IP as a form POST with comma-separated categories', async () => {
      const { output } = await h.run('abuseipdb.report_ip', {
        ip: '192.0.2.77',
        categories: [18, 22],
        comment: 'ssh brute force',
      });
      expect(output).toEqual({ ipAddress: '192.0.2.77', abuseConfidenceScore: 52 });
      const form = new URLSearchParams(abuse.requests.at(-1)?.body);
      expect(form.get('categories')).toBe('18,22');
      expect(form.get('comment')).toBe('ssh brute force');
    });

    it('retries the documented 429 (Retry-After) on a check, then fails retryable', async () => {
      abuseLimited = true;
      const before = abuse.requests.length;
      try {
        const err = await rejection(h.run('abuseipdb.check_ip', { value: '192.0.2.3' }));
        expect(err.code).toBe('CONNECTOR_RATE_LIMITED');
        expect(err.retryable).toBe(true);
        expect(abuse.requests.length - before).toBe(4);
      } finally {
        abuseLimited = false;
      }
    });
  });

  describe('MISP', () => {
    it('searches attributes with the documented restSearch body', async () => {
      const { output } = await h.run('misp.search_attributes', { value: '198.51.100.9' });
      expect(output).toMatchObject({
        verdict: { verdict: 'malicious', summary: { attributes: 1, events: ['77'] } },
      });
      const req = misp.requests.at(-1);
      expect(req?.path).toBe('/attributes/restSearch');
      expect(JSON.parse(req?.body ?? '{}')).toMatchObject({ returnFormat: 'json', value: '198.51.100.9' });
    });

    it('adds a sighting', async () => {
      const { output } = await h.run('misp.add_sighting', { value: '198.51.100.9' });
      expect(output).toEqual({ saved: true, message: '1 sighting successfully added.' });
      expect(JSON.parse(misp.requests.at(-1)?.body ?? '{}')).toEqual({
        values: ['198.51.100.9'],
        source: 'riposte',
        type: '0',
      });
    });
  });

  describe('URLhaus', () => {
    it('looks a URL up with a form POST and Auth-Key', async () => {
      const { output } = await h.run('urlhaus.lookup_url', { value: 'http://203.0.113.50/bins/x.arm7' });
      expect(output).toMatchObject({
        verdict: 'malicious',
        summary: { listed: true, threat: 'malware_download' },
      });
      expect(urlhaus.requests.at(-1)?.path).toBe('/v1/url/');
    });

    it('maps no_results to unknown and host lookups to URL counts', async () => {
      expect((await h.run('urlhaus.lookup_url', { value: 'http://clean.example/' })).output).toMatchObject({
        verdict: 'unknown',
      });
      expect((await h.run('urlhaus.lookup_host', { value: '203.0.113.50' })).output).toMatchObject({
        verdict: 'malicious',
        summary: { urlCount: 1, online: 1 },
      });
    });
  });

  describe('STIX 2.1 / TAXII 2.1', () => {
    it('lists collections with the TAXII media type and Basic auth', async () => {
      const { output } = await h.run('taxii.list_collections', {});
      expect(output).toEqual({ collections: [{ id: 'coll-1', title: 'Indicators', canRead: true }] });
    });

    it('polls every page into the indicator store, keeps the cursor, and looks values up', async () => {
      const { output } = await h.run('taxii.poll_collection', { collectionId: 'coll-1' });
      expect(output).toMatchObject({ pages: 2, more: false, cursor: '2026-11-21T23:59:59.000Z' });
      expect((output as { indicators: number }).indicators).toBeGreaterThan(20);
      const first = taxii.requests.find((r) => r.path.endsWith('/objects/'));
      expect(first?.query.get('added_after')).toBeNull();
      const hit = await h.run('indicators.lookup', { type: 'domain', value: 'ngcc.8800.org' });
      expect(hit.output).toMatchObject({ verdict: 'malicious' });
      const miss = await h.run('indicators.lookup', { type: 'ipv4', value: '192.0.2.200' });
      expect(miss.output).toMatchObject({ verdict: 'unknown' });
      await h.run('taxii.poll_collection', { collectionId: 'coll-1' });
      expect(taxii.requests.at(-2)?.query.get('added_after')).toBe('2026-11-21T23:59:59.000Z');
    });
  });

  it('describes every action with JSON Schemas and an example that a dry run returns', async () => {
    for (const connector of h.registry.connectors()) {
      for (const action of connector.actions) {
        const d = h.runtime.describe(action.name);
        expect(d?.inputSchema).toMatchObject({ type: 'object' });
        const dry = await h.runtime
          .execute(
            {
              action: action.name,
              input: {},
              idempotencyKey: 'k',
              dryRun: true,
              context: { runId: 'r', stepId: 's', playbookId: 'p' },
            },
            new AbortController().signal,
          )
          .catch((e: Error) => e);
        // Dry runs still validate input; those with no required input return their example.
        if (!(dry instanceof Error)) expect(dry.output).toEqual(action.example);
      }
    }
  });
});
