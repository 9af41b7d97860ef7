import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { cloudflareConnector } from '../../../src/connectors/vendors/cloudflare/cloudflare.connector.js';
import { cloudflareFake, type CloudflareState } from '../fakes/cloudflare.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const TOKEN = 'cf-api-token-0123456789abcdef';
const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';

describe('cloudflare connector against a fake Cloudflare API', () => {
  let state: CloudflareState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = { apiToken: TOKEN, accountId: ACCOUNT, rules: [] };
    server = await startFakeVendor(cloudflareFake(state));
    bench = await createBench(cloudflareConnector, {
      baseUrl: server.url,
      apiToken: TOKEN,
      accountId: ACCOUNT,
    });
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('blocks an address with an account IP access rule, and adds no second rule on a repeat', async () => {
    const result = await bench.run('cloudflare.block_ip', { ip: '198.51.100.4/32' });
    expect(result.output).toMatchObject({ mode: 'block', target: 'ip', value: '198.51.100.4' });
    const post = server.mutations()[0];
    expect(post?.path).toBe(`/accounts/${ACCOUNT}/firewall/access_rules/rules`);
    expect(post?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(post?.json).toEqual({
      mode: 'block',
      configuration: { target: 'ip', value: '198.51.100.4' },
      notes: 'Blocked by Riposte',
    });
    const again = await bench.run('cloudflare.block_ip', { ip: '198.51.100.4' });
    expect(again.alreadyApplied).toBe(true);
    expect(server.mutations()).toHaveLength(1);
  });

  it('switches an existing rule to the asked mode instead of duplicating it', async () => {
    await bench.run('cloudflare.block_ip', { ip: '198.51.100.0/24', mode: 'managed_challenge' });
    const blocked = await bench.run('cloudflare.block_ip', { ip: '198.51.100.0/24' });
    expect(blocked.output).toMatchObject({ mode: 'block', target: 'ip_range' });
    expect(state.rules).toHaveLength(1);
    expect(server.mutations().map((r) => r.method)).toEqual(['POST', 'PATCH']);
  });

  it('rejects a range Cloudflare does not accept before calling it', async () => {
    const err = await failureOf(bench.run('cloudflare.block_ip', { ip: '198.51.100.0/20' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_INVALID_INPUT' });
    expect(server.requests).toHaveLength(0);
  });

  it('undoes the block by deleting the rule, a second undo finding it gone', async () => {
    const blocked = await bench.run(
      'openc2.deny.ipv4_net',
      { ipv4_net: '203.0.113.9/32' },
      { instance: 'cloudflare-test' },
    );
    expect(blocked.undo?.action).toBe('cloudflare.unblock_ip');
    const removed = await bench.run(blocked.undo!.action, blocked.undo!.input);
    expect(removed.output).toMatchObject({ removed: true });
    expect(state.rules).toHaveLength(0);
    const again = await bench.run(blocked.undo!.action, blocked.undo!.input);
    expect(again.output).toMatchObject({ removed: false });
    expect(again.alreadyApplied).toBe(true);
  });

  it('refuses a protected range', async () => {
    await bench.protect('ip', '198.51.100.0/24');
    const err = await failureOf(bench.run('cloudflare.block_ip', { ip: '198.51.100.4' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_PROTECTED_ASSET' });
  });

  it('fails with a non-retryable auth error (code 10000) that hides the token', async () => {
    state.apiToken = 'another-token-value';
    const err = await failureOf(bench.run('cloudflare.block_ip', { ip: '198.51.100.4' }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false, status: 403 });
    expect(err.message).toContain('Authentication error');
    expect(err.message).not.toContain(TOKEN);
  });

  it('honours Retry-After on a 429 for the lookup', async () => {
    server.failNext({
      status: 429,
      headers: { 'Retry-After': '3' },
      body: {
        success: false,
        errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }],
        messages: [],
        result: null,
      },
    });
    await bench.run('cloudflare.block_ip', { ip: '198.51.100.4' });
    expect(bench.sleeps).toEqual([3000]);
    expect(state.rules).toHaveLength(1);
  });

  it('does not repeat a throttled create: it fails retryable with the wait, for the engine to reschedule', async () => {
    server.failNext(
      {
        status: 429,
        headers: { 'Retry-After': '3' },
        body: { success: false, errors: [{ code: 971, message: 'throttled' }], messages: [], result: null },
      },
      (req) => req.method === 'POST',
    );
    const err = await failureOf(bench.run('cloudflare.block_ip', { ip: '198.51.100.4' }));
    expect(err).toMatchObject({ code: 'CONNECTOR_RATE_LIMITED', retryable: true, retryAfterMs: 3000 });
    expect(server.mutations()).toHaveLength(1);
    expect(bench.sleeps).toEqual([]);
  });

  it('tests the instance by verifying the token', async () => {
    const outcome = await bench.runtime.testInstance('cloudflare-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true, message: 'Cloudflare API token is active' });
  });
});
