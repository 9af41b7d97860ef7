import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createContainmentExpiryHandler } from '../../src/app/connectors/containment-expiry.handler.js';
import { undoContainment } from '../../src/app/connectors/containment.service.js';
import { protectAsset, resetContainmentBreaker } from '../../src/app/connectors/safety.service.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { listContainments, findContainment } from '../../src/store/connectors/containment.repository.js';
import { claimJobs } from '../../src/store/queue/queue.repository.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { createTestContext } from '../support/api.js';
import { blocklistFake } from './fakes/blocklist.fake.js';
import { startFakeServer, type FakeServer } from './fakes/fake-server.js';
import { listCaseEvents } from '../../src/store/cases/case.repository.js';
import { createHarness, rejection, type Harness } from './support/connector-harness.js';

const TOKEN = 'bl-token-abcdef123456';

describe.each(DIALECTS)('safe containment on %s', (dialect) => {
  let handle: TestStoreHandle;
  let h: Harness;
  let server: FakeServer;
  const entries = new Set<string>();
  const ctx = () => ({ ...createTestContext(handle.store, { clock: h.clock }), newId: randomUUID });

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    h = createHarness(handle.store, {
      safety: { maxPerPlaybook: 3, maxPerConnector: 8, windowMs: 600_000, breakerOpenMs: 1_800_000 },
    });
    server = await startFakeServer(blocklistFake({ token: TOKEN, entries }));
    await h.addInstance('fw', 'blocklist', { baseUrl: server.url, token: TOKEN, openc2Actuator: true }, true);
    await protectAsset(ctx(), SYSTEM_ACTOR, { kind: 'ip', value: '10.0.0.0/8', reason: 'internal network' });
    await protectAsset(ctx(), SYSTEM_ACTOR, { kind: 'ip', value: '192.0.2.53', reason: 'DNS resolver' });
  });
  afterAll(async () => {
    await h.close();
    await server.close();
    await handle.cleanup();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  it('blocks, records the containment with its undo, and schedules the expiry', async () => {
    const expiresAt = h.clock.now() + 3_600_000;
    const result = await h.run(
      'blocklist.block_ip',
      { entry: '203.0.113.7' },
      { idempotencyKey: 'k-1', expiresAt },
    );
    expect(result.output).toEqual({ entry: '203.0.113.7', blocked: true });
    expect(result.undo).toEqual({ action: 'blocklist.unblock_ip', input: { entry: '203.0.113.7' } });
    expect(entries.has('203.0.113.7')).toBe(true);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /blocklist/203.0.113.7',
      'PUT /blocklist/203.0.113.7',
    ]);
    const saved = await findContainment(handle.store.db, result.containmentId ?? '');
    expect(saved).toMatchObject({
      status: 'active',
      expiresAt,
      playbookId: 'pb-1',
      targets: [{ kind: 'ip', value: '203.0.113.7' }],
    });
    const [job] = await claimJobs(
      handle.store.db,
      { dialect: handle.store.dialect, newId: randomUUID },
      { queue: 'timers', owner: 't', leaseMs: 1000, limit: 5, now: expiresAt, newToken: randomUUID },
    );
    expect(job).toMatchObject({ kind: 'containment.expire', payload: { containmentId: saved?.id } });
  });

  it('a retried step (same key) finds the entry there, sends no PUT and records once', async () => {
    const again = await h.run('blocklist.block_ip', { entry: '203.0.113.7' }, { idempotencyKey: 'k-1' });
    expect(again.alreadyApplied).toBe(true);
    expect(server.requests.map((r) => r.method)).toEqual(['GET']);
    expect((await listContainments(handle.store.db)).filter((c) => c.idempotencyKey === 'k-1')).toHaveLength(
      1,
    );
  });

  it('refuses a protected address, and a network that contains one, before calling the vendor', async () => {
    const one = await rejection(h.run('blocklist.block_ip', { entry: '10.1.2.3' }));
    expect(one.code).toBe('CONNECTOR_PROTECTED_ASSET');
    expect(one.message).toContain('internal network');
    const wide = await rejection(h.run('blocklist.block_ip', { entry: '192.0.2.0/24' }));
    expect(wide.code).toBe('CONNECTOR_PROTECTED_ASSET');
    expect(wide.message).toContain('DNS resolver');
    expect(server.requests).toHaveLength(0);
  });

  it('puts a refused and an applied containment on the case timeline, with the reason and the undo', async () => {
    const context = { runId: 'run-9', stepId: 'block', playbookId: 'pb-case', caseId: 'case-42' };
    const refused = await rejection(h.run('blocklist.block_ip', { entry: '10.1.2.3' }, { context }));
    expect(refused.code).toBe('CONNECTOR_PROTECTED_ASSET');
    const applied = await h.run('blocklist.block_ip', { entry: '203.0.113.42' }, { context });
    const events = await listCaseEvents(handle.store.db, 'case-42', { limit: 10 });
    const byType = new Map(events.map((e) => [e.type, e]));
    expect(byType.get('containment.refused')?.data).toMatchObject({
      action: 'blocklist.block_ip',
      code: 'CONNECTOR_PROTECTED_ASSET',
      stepId: 'block',
      targets: [{ kind: 'ip', value: '10.1.2.3' }],
    });
    expect(String(byType.get('containment.refused')?.data.reason)).toContain('protected asset');
    expect(byType.get('containment.applied')?.data).toMatchObject({
      containmentId: applied.containmentId,
      undo: 'blocklist.unblock_ip',
    });
    await h.run('blocklist.unblock_ip', { entry: '203.0.113.42' });
  });

  it('carries out an OpenC2 deny ipv4_net through the configured actuator', async () => {
    const result = await h.run('openc2.deny.ipv4_net', { ipv4_net: '198.51.100.0/24' });
    expect(result.undo?.action).toBe('blocklist.unblock_ip');
    expect(entries.has('198.51.100.0/24')).toBe(true);
    expect(h.runtime.describe('openc2.deny.ipv4_net')).toMatchObject({
      risk: 'contain',
      undo: 'openc2.allow.ipv4_net',
    });
    const refused = await rejection(h.run('openc2.deny.ipv4_net', { ipv4_net: '10.9.9.9/32' }));
    expect(refused.code).toBe('CONNECTOR_PROTECTED_ASSET');
  });

  it('undoes a containment by hand: the vendor entry goes and the record says so', async () => {
    const done = await h.run('blocklist.block_ip', { entry: '203.0.113.99' });
    const outcome = await undoContainment(
      ctx(),
      h.runtime,
      SYSTEM_ACTOR,
      done.containmentId ?? '',
      new AbortController().signal,
    );
    expect(outcome.status).toBe('undone');
    expect(entries.has('203.0.113.99')).toBe(false);
    expect((await findContainment(handle.store.db, done.containmentId ?? ''))?.status).toBe('undone');
    expect(
      (
        await undoContainment(
          ctx(),
          h.runtime,
          SYSTEM_ACTOR,
          done.containmentId ?? '',
          new AbortController().signal,
        )
      ).status,
    ).toBe('already');
  });

  it('the expiry handler rolls back an expired containment', async () => {
    const done = await h.run(
      'blocklist.block_ip',
      { entry: '203.0.113.150' },
      { context: { runId: 'r', stepId: 's', playbookId: 'pb-exp' } },
    );
    const handler = createContainmentExpiryHandler(() => ({ ...h.runtime, close: async () => undefined }));
    const outcome = await handler(
      {
        id: 'j',
        queue: 'timers',
        kind: 'containment.expire',
        payload: { containmentId: done.containmentId },
        attempts: 1,
        maxAttempts: 25,
        leaseToken: 't',
        leaseUntil: 0,
        dedupeKey: null,
      },
      { ...ctx(), signal: new AbortController().signal },
    );
    expect(outcome).toEqual({ type: 'done' });
    expect(entries.has('203.0.113.150')).toBe(false);
  });

  it('the expiry handler retries later when the vendor is down', async () => {
    const done = await h.run(
      'blocklist.block_ip',
      { entry: '203.0.113.151' },
      { context: { runId: 'r', stepId: 's', playbookId: 'pb-2' } },
    );
    server.setHandler(() => ({ status: 503, body: { error: 'maintenance' } }));
    try {
      const handler = createContainmentExpiryHandler(() => ({ ...h.runtime, close: async () => undefined }));
      const outcome = await handler(
        {
          id: 'j2',
          queue: 'timers',
          kind: 'containment.expire',
          payload: { containmentId: done.containmentId },
          attempts: 1,
          maxAttempts: 25,
          leaseToken: 't',
          leaseUntil: 0,
          dedupeKey: null,
        },
        { ...ctx(), signal: new AbortController().signal },
      );
      expect(outcome.type).toBe('retry');
      expect((await findContainment(handle.store.db, done.containmentId ?? ''))?.status).toBe('undo_failed');
    } finally {
      server.setHandler(blocklistFake({ token: TOKEN, entries }));
    }
  });

  it('trips the breaker when a playbook exceeds its containment limit, until a person resets it', async () => {
    const context = { runId: 'r', stepId: 's', playbookId: 'runaway' };
    h.clock.advance(700_000); // earlier tests' containments leave the window
    for (let i = 1; i <= 3; i++)
      await h.run('blocklist.block_ip', { entry: `203.0.113.${200 + i}` }, { context });
    const over = await rejection(h.run('blocklist.block_ip', { entry: '203.0.113.210' }, { context }));
    expect(over.code).toBe('CONNECTOR_CONTAINMENT_LIMIT');
    h.clock.advance(700_000); // the window has passed, but the breaker stays open
    const open = await rejection(h.run('blocklist.block_ip', { entry: '203.0.113.211' }, { context }));
    expect(open.code).toBe('CONNECTOR_CIRCUIT_OPEN');
    expect(open.message).toContain('playbook:runaway');
    await resetContainmentBreaker(ctx(), SYSTEM_ACTOR, 'playbook:runaway');
    await expect(h.run('blocklist.block_ip', { entry: '203.0.113.211' }, { context })).resolves.toMatchObject(
      { output: { blocked: true } },
    );
  });

  it('reads are never limited or checked against protected assets', async () => {
    await h.addInstance('vt', 'virustotal', { baseUrl: server.url, apiKey: 'vt-key-unused-000' });
    const dry = await h.runtime.execute(
      {
        action: 'virustotal.lookup_ip',
        input: { value: '10.0.0.1' },
        idempotencyKey: 'x',
        dryRun: true,
        context: { runId: 'r', stepId: 's', playbookId: 'runaway' },
      },
      new AbortController().signal,
    );
    expect(dry.output).toMatchObject({ source: 'virustotal' });
  });
});
