import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { tenableConnector } from '../../../src/connectors/vendors/tenable/tenable.connector.js';
import { startTenableFake, type TenableFake } from '../fakes/tenable.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

const ACCESS = 'a1b2c3d4e5f60718293a4b5c6d7e8f90access';
const SECRET = 'f0e1d2c3b4a5968778695a4b3c2d1e0fsecret';

describe('tenable connector', () => {
  let fake: TenableFake;
  let bed: Testbed & { sleeps: number[] };

  beforeAll(async () => {
    fake = await startTenableFake(ACCESS, SECRET);
    bed = await createTestbed(
      [tenableConnector],
      [
        { connector: 'tenable', config: { baseUrl: fake.url, accessKey: ACCESS, secretKey: SECRET } },
        {
          connector: 'tenable',
          name: 'tenable-bad',
          config: { baseUrl: fake.url, accessKey: ACCESS, secretKey: 'wrong-secret-key-value-00' },
        },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await fake.close();
  });

  it('starts an export with the documented body, then collects findings once FINISHED', async () => {
    const started = await bed.run('tenable.start_vuln_export', {
      severity: ['high', 'critical'],
      since: 1_763_000_000,
    });
    const { exportUuid } = started.output as { exportUuid: string };
    expect(fake.requests.at(-1)?.json).toEqual({
      num_assets: 500,
      filters: { severity: ['high', 'critical'], state: ['OPEN', 'REOPENED'], since: 1_763_000_000 },
    });
    expect((await bed.run('tenable.collect_vuln_export', { exportUuid })).output).toEqual({
      status: 'PROCESSING',
      ready: false,
      chunks: 0,
      findings: [],
    });
    const done = await bed.run('tenable.collect_vuln_export', { exportUuid });
    expect(done.output).toMatchObject({
      status: 'FINISHED',
      ready: true,
      chunks: 1,
      findings: [
        {
          source: 'tenable',
          asset: {
            id: '5a3b6c2e-1f4d-4e5a-9b8c-7d6e5f4a3b2c',
            hostname: 'web-01.example.com',
            ip: '192.0.2.10',
          },
          vulnId: '158974',
          cves: ['CVE-2022-0778'],
          severity: 'high',
          cvssScore: 7.5,
          cvssVector: 'AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
        },
      ],
    });
  });

  it('waits out a 429 Retry-After on the status poll', async () => {
    const { exportUuid } = (await bed.run('tenable.start_vuln_export', {})).output as { exportUuid: string };
    fake.throttleNext(1, 3);
    bed.sleeps.length = 0;
    await bed.run('tenable.collect_vuln_export', { exportUuid });
    expect(bed.sleeps).toEqual([3000]);
  });

  it('refused keys: non-retryable, neither key in the message', async () => {
    const err = await bed
      .run('tenable.start_vuln_export', {}, { instance: 'tenable-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({
      code: 'CONNECTOR_AUTH_FAILED',
      retryable: false,
      message: expect.stringContaining('Invalid Credentials'),
    });
    expect((err as Error).message).not.toContain('wrong-secret-key-value-00');
  });

  it('test() reads the session', async () => {
    await expect(bed.runtime.testInstance('tenable-test', AbortSignal.timeout(5000))).resolves.toMatchObject({
      ok: true,
    });
  });
});
