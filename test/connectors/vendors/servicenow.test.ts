import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import {
  serviceNowConnector,
  serviceNowCorrelationId,
} from '../../../src/connectors/vendors/servicenow/servicenow.connector.js';
import { startServiceNowFake, type ServiceNowFake } from '../fakes/servicenow.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

const CREDS = {
  username: 'riposte.integration',
  password: 'S3cret-pass-word',
  clientId: 'riposte-client',
  clientSecret: 'client-secret-value-123',
};

describe('servicenow connector', () => {
  let fake: ServiceNowFake;
  let bed: Testbed & { sleeps: number[] };

  beforeAll(async () => {
    fake = await startServiceNowFake(CREDS);
    bed = await createTestbed(
      [serviceNowConnector],
      [
        {
          connector: 'servicenow',
          config: {
            baseUrl: fake.url,
            authMode: 'basic',
            username: CREDS.username,
            password: CREDS.password,
            defaultAssignmentGroup: 'SOC',
          },
        },
        {
          connector: 'servicenow',
          name: 'sn-oauth',
          config: {
            baseUrl: fake.url,
            authMode: 'oauth',
            clientId: CREDS.clientId,
            clientSecret: CREDS.clientSecret,
          },
        },
        {
          connector: 'servicenow',
          name: 'sn-bad',
          config: {
            baseUrl: fake.url,
            authMode: 'basic',
            username: CREDS.username,
            password: 'not-the-password',
          },
        },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await fake.close();
  });

  it('creates an incident carrying the idempotency key as correlation_id', async () => {
    const result = await bed.run(
      'servicenow.create_incident',
      { shortDescription: 'Ransomware on FIN-LT-042', impact: '1', urgency: '1' },
      { idempotencyKey: 'run-3:step-1:1' },
    );
    expect(result.output).toMatchObject({ number: 'INC001001', created: true });
    expect(fake.tables.incident?.[0]).toMatchObject({
      short_description: 'Ransomware on FIN-LT-042',
      correlation_id: serviceNowCorrelationId('run-3:step-1:1'),
      assignment_group: 'SOC',
      impact: '1',
    });
  });

  it('a repeat with the same key finds the incident and sends no second POST', async () => {
    const posts = () =>
      fake.requests.filter((r) => r.method === 'POST' && r.path === '/api/now/table/incident').length;
    const before = posts();
    const again = await bed.run(
      'servicenow.create_incident',
      { shortDescription: 'Ransomware on FIN-LT-042' },
      { idempotencyKey: 'run-3:step-1:1' },
    );
    expect(again).toMatchObject({ alreadyApplied: true, output: { number: 'INC001001', created: false } });
    expect(posts()).toBe(before);
    expect(fake.tables.incident).toHaveLength(1);
  });

  it('updates an incident by number', async () => {
    const result = await bed.run('servicenow.update_incident', {
      number: 'INC001001',
      state: '2',
      workNotes: 'Host isolated by Riposte',
    });
    expect(result.output).toMatchObject({ number: 'INC001001', state: '2' });
    expect(fake.tables.incident?.[0]).toMatchObject({ state: '2', work_notes: 'Host isolated by Riposte' });
    expect(fake.requests.at(-1)?.method).toBe('PATCH');
  });

  it('an unknown incident number fails with a clear not-found error', async () => {
    await expect(
      bed.run('servicenow.update_incident', { number: 'INC999', state: '6' }),
    ).rejects.toMatchObject({ code: 'CONNECTOR_NOT_FOUND', message: expect.stringContaining('INC999') });
  });

  it('creates a change request over OAuth client credentials and reuses the token', async () => {
    const first = await bed.run(
      'servicenow.create_change_request',
      { shortDescription: 'Patch openssl on web-01', risk: '3' },
      { instance: 'sn-oauth' },
    );
    expect(first.output).toMatchObject({ number: 'CHG001002', created: true });
    await bed.run(
      'servicenow.create_change_request',
      { shortDescription: 'Patch nginx on web-02' },
      { instance: 'sn-oauth' },
    );
    expect(fake.tokensIssued).toBe(1);
    expect(fake.tables.change_request?.[0]).toMatchObject({ type: 'normal', risk: '3' });
  });

  it('fetches a new token once when the cached one is refused', async () => {
    fake.revokeTokens();
    await bed.run(
      'servicenow.create_change_request',
      { shortDescription: 'Patch bash on db-01' },
      { instance: 'sn-oauth' },
    );
    expect(fake.tokensIssued).toBe(2);
  });

  it('refused basic credentials fail non-retryable with the documented message and no password', async () => {
    const err = await bed
      .run('servicenow.create_incident', { shortDescription: 'x' }, { instance: 'sn-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false, status: 401 });
    expect((err as Error).message).toContain('User Not Authenticated');
    expect((err as Error).message).not.toContain('not-the-password');
  });

  it('test() reads one incident', async () => {
    await expect(
      bed.runtime.testInstance('servicenow-test', AbortSignal.timeout(5000)),
    ).resolves.toMatchObject({ ok: true });
    await expect(bed.runtime.testInstance('sn-bad', AbortSignal.timeout(5000))).resolves.toMatchObject({
      ok: false,
    });
  });
});
