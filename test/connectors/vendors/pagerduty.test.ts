import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { pagerDutyConnector } from '../../../src/connectors/vendors/pagerduty/pagerduty.connector.js';
import { startPagerDutyFake, type PagerDutyFake } from '../fakes/pagerduty.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

const KEY = 'R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12';

describe('pagerduty connector', () => {
  let fake: PagerDutyFake;
  let bed: Testbed & { sleeps: number[] };

  beforeAll(async () => {
    fake = await startPagerDutyFake(KEY);
    bed = await createTestbed(
      [pagerDutyConnector],
      [
        { connector: 'pagerduty', config: { baseUrl: fake.url, routingKey: KEY } },
        { connector: 'pagerduty', name: 'pd-bad', config: { baseUrl: fake.url, routingKey: 'x'.repeat(32) } },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await fake.close();
  });

  it('triggers with the idempotency key as dedup_key and the documented payload', async () => {
    const result = await bed.run(
      'pagerduty.trigger',
      { summary: 'Ransomware on FIN-LT-042', source: 'riposte', severity: 'critical' },
      { idempotencyKey: 'run-9:step-2:1' },
    );
    expect(result.output).toEqual({
      dedupKey: 'run-9:step-2:1',
      status: 'success',
      message: 'Event processed',
    });
    expect(result.undo).toEqual({ action: 'pagerduty.resolve', input: { dedupKey: 'run-9:step-2:1' } });
    const sent = fake.requests.at(-1)?.json as Record<string, unknown>;
    expect(sent).toMatchObject({
      routing_key: KEY,
      event_action: 'trigger',
      payload: { summary: 'Ransomware on FIN-LT-042', severity: 'critical', source: 'riposte' },
    });
  });

  it('a retried trigger joins the same alert (vendor dedup key)', async () => {
    await bed.run(
      'pagerduty.trigger',
      { summary: 'Ransomware on FIN-LT-042', source: 'riposte' },
      { idempotencyKey: 'run-9:step-2:1' },
    );
    expect(fake.alerts.size).toBe(1);
    expect(fake.alerts.get('run-9:step-2:1')?.triggers).toBe(2);
  });

  it('acknowledges, then the recorded undo of the trigger resolves the alert', async () => {
    const triggered = await bed.run(
      'pagerduty.trigger',
      { summary: 'To be undone', source: 'riposte' },
      { idempotencyKey: 'k-undo' },
    );
    await bed.run('pagerduty.acknowledge', { dedupKey: 'k-undo' });
    expect(fake.alerts.get('k-undo')?.status).toBe('acknowledged');
    const undo = triggered.undo;
    if (!undo) throw new Error('trigger declared no undo');
    await bed.run(undo.action, undo.input);
    expect(fake.alerts.get('k-undo')?.status).toBe('resolved');
  });

  it('retries a throttled event after Retry-After (the dedup key makes the POST safe to repeat)', async () => {
    fake.throttleNext(1);
    bed.sleeps.length = 0;
    const result = await bed.run(
      'pagerduty.trigger',
      { summary: 'Throttled', source: 'riposte' },
      { idempotencyKey: 'k-throttle' },
    );
    expect(result.output).toMatchObject({ dedupKey: 'k-throttle' });
    expect(bed.sleeps).toEqual([1000]);
  });

  it('an unknown routing key fails non-retryable without echoing it', async () => {
    const err = await bed
      .run('pagerduty.trigger', { summary: 'x', source: 'y' }, { instance: 'pd-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ retryable: false, status: 400 });
    expect((err as Error).message).toContain('Invalid routing key');
    expect((err as Error).message).not.toContain('x'.repeat(32));
  });

  it('test() resolves a never-triggered key without creating an alert', async () => {
    const before = fake.alerts.size;
    await expect(
      bed.runtime.testInstance('pagerduty-test', AbortSignal.timeout(5000)),
    ).resolves.toMatchObject({ ok: true });
    expect(fake.alerts.size).toBe(before);
  });
});
