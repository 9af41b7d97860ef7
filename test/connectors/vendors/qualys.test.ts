import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { qualysConnector } from '../../../src/connectors/vendors/qualys/qualys.connector.js';
import { startQualysFake, type QualysFake } from '../fakes/qualys.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

describe('qualys connector', () => {
  let fake: QualysFake;
  let bed: Testbed & { sleeps: number[] };

  beforeAll(async () => {
    fake = await startQualysFake('acme_rp', 'Qu4lys-pass!');
    bed = await createTestbed(
      [qualysConnector],
      [
        { connector: 'qualys', config: { baseUrl: fake.url, username: 'acme_rp', password: 'Qu4lys-pass!' } },
        {
          connector: 'qualys',
          name: 'qualys-bad',
          config: { baseUrl: fake.url, username: 'acme_rp', password: 'not-the-pass' },
        },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await fake.close();
  });

  it('lists detections, enriches them from the KnowledgeBase and gives the next page', async () => {
    const result = await bed.run('qualys.list_host_detections', { truncationLimit: 1 });
    expect(result.output).toEqual({
      nextIdMin: 12345679,
      findings: [
        {
          source: 'qualys',
          asset: { id: '12345678', ip: '192.0.2.10', hostname: 'web-01.example.com' },
          vulnId: '38739',
          cves: ['CVE-2022-0778'],
          title: 'OpenSSL Denial of Service Vulnerability',
          severity: 'high',
          cvssScore: 7.5,
          solution: 'Upgrade to OpenSSL 1.1.1n or later.',
        },
        expect.objectContaining({ vulnId: '105943', severity: 'critical', cvssScore: 10, cves: [] }),
      ],
    });
    const [detection, kb] = fake.requests.slice(-2);
    expect(Object.fromEntries(new URLSearchParams(detection?.body))).toEqual({
      action: 'list',
      show_results: '0',
      severities: '3-5',
      status: 'New,Active,Re-Opened',
      truncation_limit: '1',
    });
    expect(new URLSearchParams(kb?.body).get('ids')).toBe('38739,105943');
  });

  it('a 409 concurrency/rate limit is a retryable rate limit carrying X-RateLimit-ToWait-Sec', async () => {
    fake.limitNext(1, 4);
    const err = await bed.run('qualys.list_host_detections', { enrich: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'CONNECTOR_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 4000,
      message: expect.stringContaining('code 1965'),
    });
    await expect(bed.run('qualys.list_host_detections', { enrich: false })).resolves.toBeDefined();
  });

  it('refused credentials: non-retryable, password not echoed', async () => {
    const err = await bed
      .run('qualys.list_host_detections', {}, { instance: 'qualys-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({
      code: 'CONNECTOR_AUTH_FAILED',
      retryable: false,
      message: expect.stringContaining('Bad Login/Password'),
    });
    expect((err as Error).message).not.toContain('not-the-pass');
  });

  it('test() lists one host', async () => {
    await expect(bed.runtime.testInstance('qualys-test', AbortSignal.timeout(5000))).resolves.toMatchObject({
      ok: true,
    });
  });
});
