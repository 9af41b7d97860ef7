import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { createMapWorkerPool } from '../../src/app/ingest/map-worker-pool.js';
import { startSyslogListeners } from '../../src/app/ingest/start-syslog-listeners.js';
import type { Config } from '../../src/config/config.js';
import { generateMasterKey } from '../../src/governance/secrets/secret-box.js';
import { asRole, buildTestApi, createTestContext, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const json = { 'content-type': 'application/json' };
const alert = (i: number): Record<string, unknown> => ({ title: `from afar ${i}`, rule_id: `rf-${i}` });

interface Answer {
  items: Array<{ alertId: string }>;
}

// An alert recorded nothing of who delivered it: a syslog device that names no host (RFC 3164 often does not),
// or an HTTP sender posting for a shared source, could not be told apart afterwards.
describe.each(DIALECTS)('where an alert was delivered from, on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  const open = async (config: Partial<Config> = {}): Promise<void> => {
    api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      config: { masterKey: generateMasterKey().key.toString('base64'), ...config },
    });
  };
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const receivedFrom = async (alertId: string): Promise<unknown> => {
    const res = await api.app.inject({ url: `/api/v1/alerts/${alertId}`, headers: asRole('analyst') });
    expect(res.statusCode).toBe(200);
    return (res.json() as { receivedFrom: unknown }).receivedFrom;
  };
  const post = (payload: unknown, remoteAddress: string, headers: Record<string, string> = {}) =>
    api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts',
      payload: JSON.stringify(payload),
      headers: { ...json, ...asRole('ingest'), ...headers },
      remoteAddress,
    });

  it("records each single POST's client, also when several share one transaction", async () => {
    await open();
    // Sent together, so the batcher stores them in one transaction.
    const answers = await Promise.all([
      post(alert(1), '::ffff:203.0.113.9'),
      post(alert(2), '2001:DB8::7'),
      post([alert(3), alert(4)], '198.51.100.20'),
    ]);
    const ids = answers.map((res) => {
      expect(res.statusCode).toBe(200);
      return (res.json() as Answer).items.map((i) => i.alertId);
    });
    expect(await receivedFrom(ids[0]?.[0] as string)).toBe('203.0.113.9');
    expect(await receivedFrom(ids[1]?.[0] as string)).toBe('2001:db8::7');
    expect(await receivedFrom(ids[2]?.[1] as string)).toBe('198.51.100.20');
    const list = await api.app.inject({ url: '/api/v1/alerts?limit=10', headers: asRole('analyst') });
    const listed = (list.json() as { alerts: Array<{ title: string; receivedFrom: unknown }> }).alerts;
    expect(listed.find((a) => a.title === 'from afar 1')?.receivedFrom).toBe('203.0.113.9');
  });

  it('records the client of an NDJSON stream on each of its alerts', async () => {
    await open();
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts/ndjson',
      payload: `${JSON.stringify(alert(1))}\n${JSON.stringify(alert(2))}\n`,
      headers: { 'content-type': 'application/x-ndjson', ...asRole('ingest') },
      remoteAddress: '192.0.2.44',
    });
    expect(res.statusCode).toBe(200);
    const rows = await handle.store.db.selectFrom('alerts').select(['title', 'received_from']).execute();
    expect(rows.map((r) => r.received_from)).toEqual(['192.0.2.44', '192.0.2.44']);
  });

  it("records a webhook's sender, for JSON bodies and line streams", async () => {
    await open();
    const made = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      payload: JSON.stringify({ name: 'edr' }),
      headers: { ...json, ...asRole('admin') },
    });
    expect(made.statusCode).toBe(201);
    const { token } = made.json() as { token: string };
    const one = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources/edr/webhook',
      payload: JSON.stringify(alert(1)),
      headers: { ...json, 'x-riposte-token': token },
      remoteAddress: '203.0.113.50',
    });
    expect(one.statusCode).toBe(200);
    expect(await receivedFrom((one.json() as Answer).items[0]?.alertId as string)).toBe('203.0.113.50');
    const lines = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources/edr/webhook',
      payload: `${JSON.stringify(alert(2))}\n`,
      headers: { 'content-type': 'application/x-ndjson', 'x-riposte-token': token },
      remoteAddress: '203.0.113.51',
    });
    expect(lines.statusCode).toBe(200);
    const row = await handle.store.db
      .selectFrom('alerts')
      .select('received_from')
      .where('title', '=', 'from afar 2')
      .executeTakeFirstOrThrow();
    expect(row.received_from).toBe('203.0.113.51');
  });

  it('believes X-Forwarded-For only from a proxy it was told to trust', async () => {
    await open();
    const forwarded = { 'x-forwarded-for': '198.51.100.7' };
    const untrusted = await post(alert(1), '127.0.0.1', forwarded);
    expect(await receivedFrom((untrusted.json() as Answer).items[0]?.alertId as string)).toBe('127.0.0.1');
    await api.app.close();

    await open({ trustProxy: ['127.0.0.1'] });
    const byAddress = await post(alert(2), '127.0.0.1', forwarded);
    expect(await receivedFrom((byAddress.json() as Answer).items[0]?.alertId as string)).toBe('198.51.100.7');
    // Sent by another peer than the trusted proxy: its header is anyone's.
    const other = await post(alert(3), '192.0.2.9', forwarded);
    expect(await receivedFrom((other.json() as Answer).items[0]?.alertId as string)).toBe('192.0.2.9');
    await api.app.close();

    await open({ trustProxy: 1 });
    const byHops = await post(alert(4), '10.0.0.2', { 'x-forwarded-for': '203.0.113.1, 198.51.100.8' });
    expect(await receivedFrom((byHops.json() as Answer).items[0]?.alertId as string)).toBe('198.51.100.8');
  });

  it('records the peer of a real connection', async () => {
    await open();
    const address = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/api/v1/alerts`, {
      method: 'POST',
      body: JSON.stringify(alert(9)),
      headers: { ...json, ...asRole('ingest') },
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    expect(await receivedFrom(answer.items[0]?.alertId as string)).toBe('127.0.0.1');
  });

  it("records each syslog message's sender, over UDP and TCP, mapped here or on a mapping thread", async () => {
    await open();
    const pool = createMapWorkerPool({ size: 1 });
    try {
      for (const [how, mapWorkers] of [
        ['here', undefined],
        ['thread', pool],
      ] as const) {
        const ctx = createTestContext(handle.store, mapWorkers ? { mapWorkers } : {});
        const l = await startSyslogListeners(ctx, { host: '127.0.0.1', udpPort: 0, tcpPort: 0, flushMs: 10 });
        const udp = dgram.createSocket('udp4');
        await new Promise<void>((r) =>
          udp.send(`<13>Jan  1 00:00:00 fw1 app: by udp ${how}`, l.ports.udp ?? 0, '127.0.0.1', () => r()),
        );
        udp.close();
        const tcp = net.connect(l.ports.tcp ?? 0, '127.0.0.1');
        await new Promise<void>((r) => tcp.once('connect', () => r()));
        await new Promise<void>((r) => tcp.end(`<13>Jan  1 00:00:00 fw2 app: by tcp ${how}\n`, () => r()));
        for (const end = Date.now() + 5_000; l.stats.received < 2 && Date.now() < end;)
          await new Promise((r) => setTimeout(r, 10));
        await l.close();
        const rows = await handle.store.db
          .selectFrom('alerts')
          .select(['title', 'received_from'])
          .where('title', 'like', `%${how}`)
          .execute();
        expect(rows.map((r) => r.received_from)).toEqual(['127.0.0.1', '127.0.0.1']);
      }
    } finally {
      await pool.close();
    }
  });
});
