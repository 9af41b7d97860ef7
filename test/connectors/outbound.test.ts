import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/connectors/http/http-client.js';
import { verifyWebhookSignature } from '../../src/connectors/vendors/webhook/webhook-signature.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { makeTestCertificate } from '../support/test-certificate.js';
import { startFakeServer, type FakeServer } from './fakes/fake-server.js';
import { createHarness, rejection, type Harness } from './support/connector-harness.js';

const HMAC = 'webhook-hmac-secret-0123456789';

describe.each(DIALECTS)('webhook and local lists on %s', (dialect) => {
  let handle: TestStoreHandle;
  let h: Harness;
  let hook: FakeServer;
  const dir = mkdtempSync(join(tmpdir(), 'riposte-lists-'));
  let seen = 0;

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    h = createHarness(handle.store);
    hook = await startFakeServer((req) => {
      const ok = verifyWebhookSignature(
        HMAC,
        String(req.headers['x-riposte-timestamp']),
        req.body,
        String(req.headers['x-riposte-signature']),
      );
      if (!ok) return { status: 401, body: { error: 'bad signature' } };
      // First delivery fails like a busy receiver; the retry carries the same idempotency key.
      return ++seen === 1 ? { status: 503, body: { error: 'busy' } } : { body: { received: true } };
    });
    await h.addInstance('hook', 'webhook', { baseUrl: hook.url, hmacSecret: HMAC, path: '/in' }, true);
    writeFileSync(
      join(dir, 'block.csv'),
      'value,type,label\n203.0.113.0/24,ipv4,bad net\nevil.example,domain,phish\n',
    );
    writeFileSync(join(dir, 'c2.json'), readFileSync('/work/shared/samples/stix/stix21_poisonivy.json'));
    await h.addInstance('blocked', 'locallist', { path: join(dir, 'block.csv') });
    await h.addInstance('c2', 'locallist', { path: join(dir, 'c2.json') });
  });
  afterAll(async () => {
    await h.close();
    await hook.close();
    await handle.cleanup();
  });

  it('sends a signed webhook and retries a 503 with the same Idempotency-Key', async () => {
    const { output } = await h.run(
      'webhook.send',
      { event: 'case.contained', data: { caseId: 'c-1' } },
      { idempotencyKey: 'step-7' },
    );
    expect(output).toEqual({ status: 200, response: { received: true } });
    expect(hook.requests).toHaveLength(2);
    expect(hook.requests.map((r) => r.headers['idempotency-key'])).toEqual(['step-7', 'step-7']);
    expect(JSON.parse(hook.requests[1]?.body ?? '{}')).toMatchObject({
      event: 'case.contained',
      data: { caseId: 'c-1' },
      idempotencyKey: 'step-7',
    });
  });

  it('looks values up in a CSV list (CIDR entries match addresses) and a STIX bundle', async () => {
    expect(
      (await h.run('locallist.lookup', { value: '203.0.113.77' }, { instance: 'blocked' })).output,
    ).toMatchObject({ verdict: 'malicious', summary: { matches: ['203.0.113.0/24'] } });
    expect(
      (await h.run('locallist.lookup', { value: 'Evil.Example' }, { instance: 'blocked' })).output,
    ).toMatchObject({ verdict: 'malicious' });
    expect(
      (await h.run('locallist.lookup', { value: '198.51.100.1' }, { instance: 'blocked' })).output,
    ).toMatchObject({ verdict: 'unknown' });
    expect(
      (await h.run('locallist.lookup', { value: '60.10.1.120' }, { instance: 'c2' })).output,
    ).toMatchObject({ verdict: 'malicious' });
  });

  it('imports a list into the indicator store for indicators.lookup', async () => {
    const { output } = await h.run('locallist.import', {}, { instance: 'blocked' });
    expect(output).toEqual({ indicators: 2, problems: [] });
    expect(
      (await h.run('indicators.lookup', { type: 'domain', value: 'evil.example' })).output,
    ).toMatchObject({ verdict: 'malicious' });
  });

  it('fails clearly when a list file is missing', async () => {
    await h.addInstance('gone', 'locallist', { path: join(dir, 'missing.csv') });
    const err = await rejection(h.run('locallist.lookup', { value: '1.2.3.4' }, { instance: 'gone' }));
    expect(err.code).toBe('CONNECTOR_INTERNAL');
    expect(err.message).toContain('missing.csv');
  });
});

describe('proxy', () => {
  it('tunnels requests through the configured proxy (CONNECT) to the allowed host', async () => {
    const target = await startFakeServer(() => ({ body: { via: 'proxy' } }));
    const tunnels: string[] = [];
    const proxy = createHttpServer();
    proxy.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const client = createHttpClient({ label: 'proxied', baseUrl: target.url, proxyUrl });
    try {
      await expect(client.json({ path: '/x' }, new AbortController().signal)).resolves.toEqual({
        via: 'proxy',
      });
      expect(tunnels).toEqual([new URL(target.url).host]);
    } finally {
      await client.close();
      proxy.closeAllConnections();
      proxy.close();
      await target.close();
    }
  });
});

describe('TLS verification', () => {
  let url = '';
  let close: () => void = () => undefined;
  let cert = '';

  beforeAll(async () => {
    const pair = makeTestCertificate();
    cert = pair.cert;
    const server = createServer({ key: pair.key, cert }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"tls":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('refuses a certificate it cannot verify, without retrying, and says how to fix it', async () => {
    const client = createHttpClient({ label: 'self-signed', baseUrl: url });
    const err = await rejection(client.request({ path: '/' }, new AbortController().signal));
    expect(err.code).toBe('CONNECTOR_TLS');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('caCertPem');
    await client.close();
  });

  it('trusts it once its CA is configured', async () => {
    const client = createHttpClient({ label: 'pinned', baseUrl: url, caCertPem: cert });
    await expect(client.json({ path: '/' }, new AbortController().signal)).resolves.toEqual({ tls: true });
    await client.close();
  });
});
