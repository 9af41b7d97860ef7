import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../src/connectors/framework/define-connector.js';
import { takeRateToken } from '../../src/store/connectors/rate-bucket.repository.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { startFakeServer, type FakeServer } from './fakes/fake-server.js';
import { createHarness, rejection, type Harness } from './support/connector-harness.js';

const KEY = 'echo-secret-key-987654';
const EchoConfig = connectorConfig({ apiKey: secret(z.string()) });
type EchoConfig = z.infer<typeof EchoConfig>;

/** A test connector that misbehaves on request: echoes its key, throws, answers the wrong shape. */
const echo = defineConnector({
  name: 'echo',
  title: 'Echo',
  description: 'test',
  config: EchoConfig,
  actions: [
    defineAction({
      name: 'echo.call',
      description: 'calls the fake',
      risk: 'read',
      input: z.object({ mode: z.enum(['ok', 'leak', 'throw', 'shape']) }),
      output: z.object({ said: z.string() }),
      example: { said: 'hello' },
      idempotency: 'natural',
      async run(ctx: ActionContext<EchoConfig>, { mode }) {
        ctx.log.info({ apiKey: ctx.config.apiKey, mode }, 'calling echo');
        if (mode === 'throw')
          throw new TypeError(`cannot read property of undefined (key ${ctx.config.apiKey})`);
        const body = (await ctx.http.json(
          { path: '/echo', headers: { authorization: `Bearer ${ctx.config.apiKey}` } },
          ctx.signal,
        )) as { said: unknown };
        if (mode === 'leak') return { said: `the key is ${ctx.config.apiKey}` };
        return mode === 'shape' ? { said: 42 as unknown as string } : { said: String(body.said) };
      },
    }),
  ],
  test: async () => ({ ok: true, message: 'ok' }),
});

describe.each(DIALECTS)('connector framework on %s', (dialect) => {
  let handle: TestStoreHandle;
  let h: Harness;
  let server: FakeServer;

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    h = createHarness(handle.store, { extra: [echo] });
    server = await startFakeServer(() => ({ body: { said: 'hi' } }));
    await h.addInstance('echo-1', 'echo', { baseUrl: server.url, apiKey: KEY }, true);
  });
  afterAll(async () => {
    await h.close();
    await server.close();
    await handle.cleanup();
  });

  it('runs an action with its decrypted secret', async () => {
    await expect(h.run('echo.call', { mode: 'ok' })).resolves.toMatchObject({ output: { said: 'hi' } });
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('stores the secret encrypted, never in plain text', async () => {
    const row = await handle.store.db
      .selectFrom('connector_instances')
      .selectAll()
      .where('name', '=', 'echo-1')
      .executeTakeFirstOrThrow();
    expect(row.config).not.toContain(KEY);
    expect(row.secrets).not.toContain(KEY);
    expect(row.secrets).toMatch(/^v1\./);
  });

  it('redacts secrets from outputs, errors and logs', async () => {
    const leaked = await h.run('echo.call', { mode: 'leak' });
    expect(JSON.stringify(leaked.output)).not.toContain(KEY);
    const thrown = await rejection(h.run('echo.call', { mode: 'throw' }));
    expect(thrown.code).toBe('CONNECTOR_INTERNAL');
    expect(thrown.message).not.toContain(KEY);
    expect(h.logs.join('\n')).not.toContain(KEY);
    expect(h.logs.join('\n')).toContain('calling echo');
  });

  it('fails an answer of the wrong shape with the path that is wrong', async () => {
    const err = await rejection(h.run('echo.call', { mode: 'shape' }));
    expect(err.code).toBe('CONNECTOR_INVALID_OUTPUT');
    expect(err.message).toContain('said');
  });

  it('refuses an input key the action does not declare, naming the key and the action, and sends nothing', async () => {
    const before = server.requests.length;
    const err = await rejection(h.run('echo.call', { mode: 'ok', mood: 'ok' }));
    expect(err.code).toBe('CONNECTOR_INVALID_INPUT');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('mood: not an input of echo.call (it accepts mode)');
    // A bad value and a stray key are both named in one message.
    const both = await rejection(h.run('echo.call', { mode: 'loud', extra: 1 }));
    expect(both.message).toMatch(/mode: .*; extra: not an input of echo\.call/);
    expect(server.requests.length).toBe(before);
  });

  it('names unknown actions and missing instances', async () => {
    expect((await rejection(h.run('nope.call', {}))).code).toBe('CONNECTOR_UNKNOWN_ACTION');
    const missing = await rejection(h.run('echo.call', { mode: 'ok' }, { instance: 'ghost' }));
    expect(missing.code).toBe('CONNECTOR_NOT_CONFIGURED');
    expect(missing.message).toContain('ghost');
  });

  it('dry runs return the example without any instance or call', async () => {
    const before = server.requests.length;
    const dry = await h.run('echo.call', { mode: 'ok' }, { dryRun: true, instance: 'ghost' });
    expect(dry.output).toEqual({ said: 'hello' });
    expect(server.requests.length).toBe(before);
  });

  it('shares one rate-limit bucket per instance across clients (processes)', async () => {
    const policy = { perSecond: 2, burst: 2 };
    const t = 1_000_000;
    const deps = { dialect: handle.store.dialect };
    expect(await takeRateToken(handle.store.db, deps, 'shared', policy, t)).toBe(0);
    expect(await takeRateToken(handle.store.db, deps, 'shared', policy, t)).toBe(0);
    expect(await takeRateToken(handle.store.db, deps, 'shared', policy, t)).toBe(500);
    expect(await takeRateToken(handle.store.db, deps, 'shared', policy, t + 500)).toBe(0);
    expect(await takeRateToken(handle.store.db, deps, 'other', policy, t)).toBe(0);
  });

  it('waits for the shared bucket before calling the vendor', async () => {
    await h.addInstance('echo-limited', 'echo', {
      baseUrl: server.url,
      apiKey: KEY,
      rateLimit: { perSecond: 1, burst: 1 },
    });
    const start = h.clock.now();
    await h.run('echo.call', { mode: 'ok' }, { instance: 'echo-limited' });
    await h.run('echo.call', { mode: 'ok' }, { instance: 'echo-limited' });
    // The harness's sleep moves the manual clock: the second call had to wait a whole token (1 s).
    expect(h.clock.now() - start).toBe(1_000);
  });
});
