import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/action-executor.js';
import { createHttpClient, type HttpClientOptions } from '../../src/connectors/http/http-client.js';
import { startFakeServer, type FakeServer } from './fakes/fake-server.js';

const SECRET = 'sk-live-very-secret-value-123';
const noSleep = async () => undefined;

describe('connector HTTP client', () => {
  let server: FakeServer;
  const waits: number[] = [];
  const client = (extra: Partial<HttpClientOptions> = {}) =>
    createHttpClient({
      label: 'fake (test)',
      baseUrl: `${server.url}/api/v3`,
      secrets: [SECRET],
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.5,
      ...extra,
    });
  const signal = new AbortController().signal;
  const failure = async (p: Promise<unknown>): Promise<ConnectorError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  };

  beforeAll(async () => {
    server = await startFakeServer(() => ({ body: {} }));
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.requests.length = 0;
    waits.length = 0;
  });

  it('keeps the base path and sends query, headers and JSON', async () => {
    server.setHandler(() => ({ body: { ok: true } }));
    const c = client();
    const body = await c.json(
      { method: 'POST', path: '/things', query: { a: 1, b: undefined }, json: { x: 1 }, idempotent: true },
      signal,
    );
    expect(body).toEqual({ ok: true });
    const [req] = server.requests;
    expect(req?.path).toBe('/api/v3/things');
    expect(req?.query.get('a')).toBe('1');
    expect(req?.query.has('b')).toBe(false);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual({ x: 1 });
    await c.close();
  });

  it('posts to the base URL itself for an empty path', async () => {
    server.setHandler(() => ({ body: {} }));
    const c = client();
    await c.request({ method: 'POST', path: '', body: '{}', idempotent: true }, signal);
    expect(server.requests.at(-1)?.path).toBe('/api/v3');
    await c.close();
  });

  it('refuses hosts outside the allow-list before sending anything', async () => {
    const c = client();
    const err = await failure(c.request({ path: 'https://evil.example/steal' }, signal));
    expect(err.code).toBe('CONNECTOR_HOST_NOT_ALLOWED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('evil.example');
    expect(server.requests).toHaveLength(0);
    await c.close();
  });

  it('allows an extra host named in allowedHosts', async () => {
    server.setHandler(() => ({ body: { ok: 1 } }));
    const c = createHttpClient({
      label: 'x',
      baseUrl: 'https://vendor.example',
      allowedHosts: ['127.0.0.1'],
    });
    await expect(c.json({ path: `${server.url}/next` }, signal)).resolves.toEqual({ ok: 1 });
    await c.close();
  });

  it('retries a GET on 429 honouring Retry-After, then succeeds', async () => {
    let n = 0;
    server.setHandler(() =>
      ++n < 3
        ? { status: 429, headers: { 'retry-after': '2' }, body: { error: 'slow down' } }
        : { body: { done: true } },
    );
    const c = client();
    await expect(c.json({ path: '/x' }, signal)).resolves.toEqual({ done: true });
    expect(server.requests).toHaveLength(3);
    expect(waits).toEqual([2000, 2000]);
    await c.close();
  });

  it('backs off exponentially on 503 without Retry-After and gives up after maxRetries', async () => {
    server.setHandler(() => ({ status: 503, body: { error: 'down' } }));
    const c = client({ maxRetries: 2 });
    const err = await failure(c.request({ path: '/x' }, signal));
    expect(err.code).toBe('CONNECTOR_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(server.requests).toHaveLength(3);
    expect(waits).toEqual([150, 300]);
    await c.close();
  });

  it('does not retry a plain POST (not idempotent)', async () => {
    server.setHandler(() => ({ status: 503, body: {} }));
    const c = client();
    const err = await failure(c.request({ method: 'POST', path: '/x', json: {} }, signal));
    expect(err.retryable).toBe(true);
    expect(server.requests).toHaveLength(1);
    await c.close();
  });

  it('hands a long Retry-After back to the engine as a retryable error with retryAfterMs', async () => {
    server.setHandler(() => ({ status: 429, headers: { 'retry-after': '3600' }, body: {} }));
    const c = client();
    const err = await failure(c.request({ path: '/x' }, signal));
    expect(err.code).toBe('CONNECTOR_RATE_LIMITED');
    expect(err.retryAfterMs).toBe(3_600_000);
    expect(server.requests).toHaveLength(1);
    await c.close();
  });

  it('maps 401/403 to a non-retryable auth failure and never leaks the secret', async () => {
    server.setHandler((req) => ({
      status: 401,
      body: { error: `key ${String(req.headers['x-apikey'])} is wrong` },
    }));
    const c = client();
    const err = await failure(
      c.request({ path: `/x?key=${SECRET}`, headers: { 'x-apikey': SECRET } }, signal),
    );
    expect(err.code).toBe('CONNECTOR_AUTH_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('[redacted]');
    expect(err.message).not.toContain(SECRET);
    expect(JSON.stringify(err)).not.toContain(SECRET);
    await c.close();
  });

  it('fails a non-JSON answer with a clear, non-retryable error', async () => {
    server.setHandler(() => ({ body: '<html>proxy login</html>' }));
    const c = client();
    const err = await failure(c.json({ path: '/x' }, signal));
    expect(err.code).toBe('CONNECTOR_BAD_RESPONSE');
    expect(err.message).toMatch(/text\/plain.*not JSON/);
    await c.close();
  });

  it('caps the response size', async () => {
    server.setHandler(() => ({ filler: 50_000 }));
    const c = client({ maxResponseBytes: 10_000 });
    const err = await failure(c.request({ path: '/x' }, signal));
    expect(err.code).toBe('CONNECTOR_RESPONSE_TOO_LARGE');
    expect(err.retryable).toBe(false);
    await c.close();
  });

  it('times out a silent server as a retryable timeout', async () => {
    server.setHandler(() => ({ hang: true }));
    const c = client({ timeoutMs: 150, maxRetries: 0, sleep: noSleep });
    const err = await failure(c.request({ path: '/x' }, signal));
    expect(err.code).toBe('CONNECTOR_TIMEOUT');
    expect(err.retryable).toBe(true);
    await c.close();
  });

  it('reports a refused connection as a retryable network error', async () => {
    const c = createHttpClient({ label: 'gone', baseUrl: 'http://127.0.0.1:9', maxRetries: 0 });
    const err = await failure(c.request({ path: '/x' }, signal));
    expect(err.code).toBe('CONNECTOR_NETWORK');
    expect(err.retryable).toBe(true);
    await c.close();
  });

  it('stops at once when the caller aborts', async () => {
    server.setHandler(() => ({ hang: true }));
    const c = client({ timeoutMs: 10_000 });
    const controller = new AbortController();
    const pending = c.request({ path: '/x' }, controller.signal);
    setTimeout(() => controller.abort(new Error('shutdown')), 20);
    const err = await failure(pending);
    expect(err.code).toBe('CONNECTOR_ABORTED');
    await c.close();
  });
});
