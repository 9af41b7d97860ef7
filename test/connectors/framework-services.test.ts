import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../src/connectors/framework/define-connector.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { startFakeServer, type FakeServer } from './fakes/fake-server.js';
import { createHarness, rejection, type Harness } from './support/connector-harness.js';

/**
 * What the framework gives vendors that poll, lock or log in: `ctx.sleep` between polls, statuses a vendor
 * documents as transient, and a per-instance token cache that an edit of the instance empties.
 */
const JobConfig = connectorConfig({ apiKey: secret(z.string().min(8)) });
type JobConfig = z.infer<typeof JobConfig>;
type Ctx = ActionContext<JobConfig>;

const jobs = defineConnector({
  name: 'jobs',
  title: 'Jobs',
  description: 'a vendor with jobs to poll, locks and session tokens',
  config: JobConfig,
  // This vendor answers 409 while a resource is locked by another request, and documents it as "try again".
  retryableStatuses: [409],
  actions: [
    defineAction({
      name: 'jobs.wait_job',
      description: 'polls a job until it is done',
      risk: 'read',
      input: z.object({ id: z.string() }),
      output: z.object({ polls: z.number() }),
      example: { polls: 1 },
      idempotency: 'natural',
      async run(ctx: Ctx, { id }) {
        for (let polls = 1; polls <= 10; polls++) {
          const job = z
            .object({ done: z.boolean() })
            .parse(await ctx.http.json({ path: `/jobs/${id}` }, ctx.signal));
          if (job.done) return { polls };
          await ctx.sleep(1_000);
        }
        throw new Error('job never finished');
      },
    }),
    defineAction({
      name: 'jobs.touch',
      description: 'a write the vendor may refuse with 409 while locked',
      risk: 'read',
      input: z.object({}),
      output: z.object({ ok: z.boolean() }),
      example: { ok: true },
      idempotency: 'natural',
      async run(ctx: Ctx) {
        await ctx.http.request({ method: 'PUT', path: '/lock', json: {} }, ctx.signal);
        return { ok: true };
      },
    }),
    defineAction({
      name: 'jobs.whoami',
      description: 'logs in once per instance, then calls with the session token',
      risk: 'read',
      input: z.object({}),
      output: z.object({ user: z.string() }),
      example: { user: 'me' },
      idempotency: 'natural',
      async run(ctx: Ctx) {
        const token = await ctx.tokens.get('session', async () => {
          const login = z
            .object({ token: z.string() })
            .parse(
              await ctx.http.json(
                { method: 'POST', path: '/login', json: { key: ctx.config.apiKey }, idempotent: true },
                ctx.signal,
              ),
            );
          return { token: login.token, expiresAt: ctx.now() + 60_000 };
        });
        const me = await ctx.http.json(
          { path: '/me', headers: { authorization: `Session ${token}` } },
          ctx.signal,
        );
        return z.object({ user: z.string() }).parse(me);
      },
    }),
  ],
  test: async () => ({ ok: true, message: 'ok' }),
});

describe.each(DIALECTS)('framework services for vendors on %s', (dialect) => {
  let handle: TestStoreHandle;
  let h: Harness;
  let server: FakeServer;
  let polls = 0;
  let locked = 0;
  let logins = 0;

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    h = createHarness(handle.store, { extra: [jobs] });
    server = await startFakeServer((req) => {
      if (req.path === '/jobs/j1') return { body: { done: ++polls >= 3 } };
      if (req.path === '/lock') return locked-- > 0 ? { status: 409, body: { error: 'locked' } } : {};
      if (req.path === '/login') return { body: { token: `t${++logins}` } };
      if (req.path === '/me') return { body: { user: String(req.headers.authorization) } };
      return { status: 404 };
    });
    await h.addInstance('jobs-1', 'jobs', { baseUrl: server.url, apiKey: 'key-123456' }, true);
  });
  afterAll(async () => {
    await h.close();
    await server.close();
    await handle.cleanup();
  });

  it('ctx.sleep waits between polls through the injected sleep (the manual clock moves)', async () => {
    const start = h.clock.now();
    await expect(h.run('jobs.wait_job', { id: 'j1' })).resolves.toMatchObject({ output: { polls: 3 } });
    expect(h.clock.now() - start).toBe(2_000);
  });

  it('retries a status the vendor documents as transient, and reports it retryable when it persists', async () => {
    locked = 1;
    const before = server.requests.length;
    await expect(h.run('jobs.touch', {})).resolves.toMatchObject({ output: { ok: true } });
    expect(server.requests.length - before).toBe(2);

    locked = 100;
    const err = await rejection(h.run('jobs.touch', {}));
    expect(err.code).toBe('CONNECTOR_REQUEST_REJECTED');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('409');
    locked = 0;
  });

  it('keeps one session token per instance, and forgets it when the instance is edited', async () => {
    logins = 0;
    await expect(h.run('jobs.whoami', {})).resolves.toMatchObject({ output: { user: 'Session t1' } });
    await expect(h.run('jobs.whoami', {})).resolves.toMatchObject({ output: { user: 'Session t1' } });
    expect(logins).toBe(1);

    // A new key: the token bought with the old one must not be reused.
    h.clock.advance(1_000);
    await h.addInstance('jobs-1', 'jobs', { baseUrl: server.url, apiKey: 'key-rotated-654321' }, true);
    await expect(h.run('jobs.whoami', {})).resolves.toMatchObject({ output: { user: 'Session t2' } });
    expect(logins).toBe(2);
    expect(server.requests.filter((r) => r.path === '/login').at(-1)?.body).toContain('key-rotated');

    // An expired token is bought again.
    h.clock.advance(61_000);
    await expect(h.run('jobs.whoami', {})).resolves.toMatchObject({ output: { user: 'Session t3' } });
  });
});
