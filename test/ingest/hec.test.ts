import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { hecRoutes } from '../../src/api/alerts/hec.routes.js';
import { patchIngestSettings } from '../../src/app/ingest/configure-ingest.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { generateMasterKey } from '../../src/governance/secrets/secret-box.js';
import { asRole, buildTestApi, ManualClock, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const json = { 'content-type': 'application/json' };
const ROUTES = [
  { name: 'alerts', plugin: alertsRoutes },
  { name: 'hec', plugin: hecRoutes, prefix: '' },
];
/** An alert any source's auto mapper takes; it gives no time of its own. */
const alert = (i: number) => ({ title: `hec ${i}`, rule_id: `r${i}`, id: `ev${i}` });
const envelope = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ time: 1_700_000_000 + i, host: 'web-1', sourcetype: '_json', event: alert(i), ...extra });
const CEF = 'CEF:0|Acme|IDS|1.0|100|Port scan|5|src=10.0.0.1 dst=10.0.0.2';

describe.each(DIALECTS)('Splunk HEC on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  let clock: ManualClock;
  let token: string;
  const masterKey = generateMasterKey().key.toString('base64');

  beforeEach(async () => {
    handle = await openTestStore(dialect);
    clock = new ManualClock(Date.UTC(2026, 5, 1));
    api = await buildTestApi(handle.store, ROUTES, { clock, config: { masterKey } });
    const created = await admin('POST', '/api/v1/sources', { name: 'vector' });
    expect(created.statusCode, created.body).toBe(201);
    token = (created.json() as { token: string }).token;
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  function admin(method: 'POST' | 'PATCH', url: string, body: unknown) {
    return api.app.inject({
      method,
      url,
      headers: { ...json, ...asRole('admin') },
      payload: JSON.stringify(body),
    });
  }
  const send = (
    body: string | Buffer,
    options: { url?: string; auth?: string | null; headers?: Record<string, string> } = {},
  ) =>
    api.app.inject({
      method: 'POST',
      url: options.url ?? '/services/collector/event',
      headers: {
        ...(options.auth === null ? {} : { authorization: options.auth ?? `Splunk ${token}` }),
        ...options.headers,
      },
      payload: body,
    });
  const stored = () =>
    handle.store.db
      .selectFrom('alerts')
      .select(['title', 'raw', 'time', 'source', 'received_from'])
      .orderBy('id')
      .execute();

  it('stores Vector-style envelopes sent back to back, each raw event the envelope as sent, its time when the event has none', async () => {
    const body = [envelope(1), envelope(2, { fields: { env: 'prod' } }), envelope(3)].join('');
    const res = await send(body, { headers: json });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ text: 'Success', code: 0, accepted: 3, rejected: 0 });
    const rows = await stored();
    expect(rows.map((r) => r.title)).toEqual(['hec 1', 'hec 2', 'hec 3']);
    expect(rows[1]?.raw).toBe(envelope(2, { fields: { env: 'prod' } }));
    expect(rows.map((r) => Number(r.time))).toEqual([1, 2, 3].map((i) => (1_700_000_000 + i) * 1000));
    expect(rows.every((r) => r.source === 'vector')).toBe(true);
    // The same at the other event paths, and with a Bearer token.
    for (const url of ['/services/collector', '/services/collector/event/1.0']) {
      const again = await send(envelope(10 + url.length), { url, auth: `Bearer ${token}` });
      expect(again.json(), url).toMatchObject({ text: 'Success', code: 0, accepted: 1 });
    }
  });

  it('stores Fluent Bit-style bodies: one envelope a line, gzip, time as a string, events as objects and text lines', async () => {
    const body = [
      JSON.stringify({ time: '1700000100.250', event: alert(1) }),
      JSON.stringify({ time: 1_700_000_200, event: CEF, sourcetype: 'cef' }),
      JSON.stringify({ event: JSON.stringify(alert(3)) }),
      '',
    ].join('\n');
    const res = await send(gzipSync(body), { headers: { ...json, 'content-encoding': 'gzip' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ text: 'Success', code: 0, accepted: 3 });
    const rows = await stored();
    expect(rows.map((r) => r.title)).toEqual(['hec 1', 'Port scan', 'hec 3']);
    expect(Number(rows[0]?.time)).toBe(1_700_000_100_250);
    expect(Number(rows[1]?.time)).toBe(1_700_000_200_000);
    // No envelope time: the time it was received.
    expect(Number(rows[2]?.time)).toBe(clock.now());
    expect(rows[1]?.raw).toBe(body.split('\n')[1]);
  });

  it('takes raw text lines at /services/collector/raw, one alert a line', async () => {
    const body = `${CEF}\n${JSON.stringify(alert(2))}\n`;
    const res = await send(body, {
      url: '/services/collector/raw',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ text: 'Success', code: 0, accepted: 2 });
    expect((await stored()).map((r) => [r.title, r.raw])).toEqual([
      ['Port scan', JSON.stringify(CEF)],
      ['hec 2', JSON.stringify(alert(2))],
    ]);
    const empty = await send('', { url: '/services/collector/raw/1.0' });
    expect([empty.statusCode, empty.json()]).toEqual([400, { text: 'No data', code: 5 }]);
  });

  it('answers health without a token, and 503 while the server stops', async () => {
    for (const url of ['/services/collector/health', '/services/collector/health/1.0']) {
      const res = await api.app.inject({ url });
      expect([res.statusCode, res.json()]).toEqual([200, { text: 'HEC is healthy', code: 17 }]);
    }
    api.ctx.lifecycle.draining = true;
    const health = await api.app.inject({ url: '/services/collector/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ code: 18 });
    const busy = await send(envelope(1));
    expect([busy.statusCode, busy.json()]).toEqual([503, { text: 'Server is busy', code: 9 }]);
    expect(await stored()).toEqual([]);
  });

  it('refuses credentials with HEC codes: 2 none, 3 malformed, 16 in the query, 4 unknown', async () => {
    const none = await send(envelope(1), { auth: null });
    expect([none.statusCode, none.json()]).toEqual([401, { text: 'Token is required', code: 2 }]);
    const basic = await send(envelope(1), { auth: 'Basic eDp5' });
    expect([basic.statusCode, basic.json()]).toEqual([401, { text: 'Invalid authorization', code: 3 }]);
    const bare = await send(envelope(1), { auth: token });
    expect(bare.json()).toEqual({ text: 'Invalid authorization', code: 3 });
    const query = await send(envelope(1), { auth: null, url: `/services/collector/event?token=${token}` });
    expect([query.statusCode, query.json()]).toEqual([
      400,
      { text: 'Query string authorization is not enabled', code: 16 },
    ]);
    const wrong = await send(envelope(1), { auth: `Splunk ${token}x` });
    expect([wrong.statusCode, wrong.json()]).toEqual([403, { text: 'Invalid token', code: 4 }]);
    const raw = await send('x', { url: '/services/collector/raw', auth: 'Splunk nope' });
    expect(raw.json()).toEqual({ text: 'Invalid token', code: 4 });
    expect(await stored()).toEqual([]);
  });

  it('answers a disabled source code 1, a token rotated away or of a deleted source code 4', async () => {
    expect((await admin('PATCH', '/api/v1/sources/vector', { enabled: false })).statusCode).toBe(200);
    const disabled = await send(envelope(1));
    expect([disabled.statusCode, disabled.json()]).toEqual([403, { text: 'Token disabled', code: 1 }]);
    expect((await admin('PATCH', '/api/v1/sources/vector', { enabled: true })).statusCode).toBe(200);
    expect((await send(envelope(2))).statusCode).toBe(200);
    // Revoked: removed, or rotated without a grace (it leaked).
    const rotated = await admin('PATCH', '/api/v1/sources/vector', { rotateToken: true });
    const next = (rotated.json() as { token: string }).token;
    const old = await send(envelope(3));
    expect([old.statusCode, old.json()]).toEqual([403, { text: 'Invalid token', code: 4 }]);
    expect((await send(envelope(4), { auth: `Splunk ${next}` })).statusCode).toBe(200);
    // Its source deleted: the token is no one's.
    const deleted = await api.app.inject({
      method: 'DELETE',
      url: '/api/v1/sources/vector',
      headers: asRole('admin'),
    });
    expect(deleted.statusCode, deleted.body).toBeLessThan(300);
    expect((await send(envelope(5), { auth: `Splunk ${next}` })).json()).toEqual({
      text: 'Invalid token',
      code: 4,
    });
    expect((await stored()).map((r) => r.title)).toEqual(['hec 2', 'hec 4']);
  });

  it('accepts a rotated token within its grace, beside the new one, and not after', async () => {
    const rotated = await admin('PATCH', '/api/v1/sources/vector', {
      rotateToken: true,
      previousValidForMs: 60_000,
    });
    const next = (rotated.json() as { token: string }).token;
    expect((await send(envelope(1))).json()).toMatchObject({ code: 0 });
    expect((await send(envelope(2), { auth: `Splunk ${next}` })).json()).toMatchObject({ code: 0 });
    clock.advance(60_000);
    expect((await send(envelope(3))).json()).toEqual({ text: 'Invalid token', code: 4 });
    expect((await send(envelope(4), { auth: `Splunk ${next}` })).json()).toMatchObject({ code: 0 });
    expect((await stored()).map((r) => r.title)).toEqual(['hec 1', 'hec 2', 'hec 4']);
  });

  it('answers bodies that are not HEC with codes 5, 6, 12 and 13, naming the event', async () => {
    const cases: Array<[string, number, Record<string, unknown>]> = [
      ['', 400, { text: 'No data', code: 5 }],
      [' \n ', 400, { text: 'No data', code: 5 }],
      [`[${envelope(1)}]`, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 0 }],
      ['{"event": {"title": "t"}', 400, { code: 6, 'invalid-event-number': 0 }],
      [
        `${envelope(1)}{"host": "h"}`,
        400,
        { text: 'Event field is required', code: 12, 'invalid-event-number': 1 },
      ],
      ['{"event": ""}', 400, { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 0 }],
      ['{"event": null}', 400, { code: 13, 'invalid-event-number': 0 }],
      ['{"time": "yesterday", "event": {"title": "t"}}', 400, { code: 6, 'invalid-event-number': 0 }],
    ];
    for (const [body, status, answer] of cases) {
      const res = await send(body);
      expect([res.statusCode, res.json()], body).toEqual([status, expect.objectContaining(answer)]);
    }
    // Only the envelope before the one without an event was stored.
    expect((await stored()).map((r) => r.title)).toEqual(['hec 1']);
  });

  it('counts the body limit decompressed, and answers a body that is not the gzip it says in HEC shape', async () => {
    const small = await buildTestApi(handle.store, ROUTES, {
      clock,
      config: { masterKey, bodyLimitBytes: 4096 },
    });
    try {
      const big = Array.from({ length: 100 }, (_, i) => envelope(i)).join('\n');
      expect(gzipSync(big).length).toBeLessThan(4096);
      const res = await small.app.inject({
        method: 'POST',
        url: '/services/collector/event',
        headers: { authorization: `Splunk ${token}`, 'content-encoding': 'gzip' },
        payload: gzipSync(big),
      });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 6, text: 'Invalid data format' });
      const broken = await send(Buffer.from(envelope(1)), { headers: { 'content-encoding': 'gzip' } });
      expect(broken.statusCode).toBe(400);
      expect(broken.json()).toMatchObject({ code: 6, detail: expect.stringContaining('gzip') });
      const unknown = await send(envelope(1), { headers: { 'content-encoding': 'zstd' } });
      expect([unknown.statusCode, unknown.json().code]).toEqual([415, 6]);
      expect(await stored()).toEqual([]);
    } finally {
      await small.app.close();
    }
  });

  it('stores the events before an invalid one in the middle, and answers code 6 with its number', async () => {
    await patchIngestSettings(api.ctx, { batchSize: 2 }, SYSTEM_ACTOR);
    const body = `${envelope(1)}\n${envelope(2)}\n${envelope(3)}\n{"event": nope}\n${envelope(5)}`;
    const res = await send(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      text: 'Invalid data format',
      code: 6,
      'invalid-event-number': 3,
      accepted: 3,
    });
    expect((await stored()).map((r) => r.title)).toEqual(['hec 1', 'hec 2', 'hec 3']);
  });

  it('refuses an event the mapper cannot use alone, and answers code 6 when none could be used', async () => {
    const res = await send(`${envelope(1)}${JSON.stringify({ event: { foo: 1 } })}${envelope(3)}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      text: 'Success',
      code: 0,
      accepted: 2,
      rejected: 1,
      rejections: [{ event: 1, reason: expect.stringContaining('no mapper recognises') }],
    });
    const none = await send(`${JSON.stringify({ event: { foo: 1 } })}${JSON.stringify({ event: 42 })}`);
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ code: 6, 'invalid-event-number': 0, rejected: 2 });
    expect((await stored()).map((r) => r.title)).toEqual(['hec 1', 'hec 3']);
  });

  it('gives an ackId to a request sent on a channel, and acknowledges it (indexer acknowledgement)', async () => {
    const channel = { 'x-splunk-request-channel': '2d3b8a34-9e1a-4c1f-8b9e-1f6c0d7e4a10' };
    expect(await send(envelope(1)).then((r) => r.json())).not.toHaveProperty('ackId');
    const first = (await send(envelope(2), { headers: channel })).json() as { ackId: number };
    const second = (await send(CEF, { url: '/services/collector/raw', headers: channel })).json() as {
      ackId: number;
    };
    expect(typeof first.ackId).toBe('number');
    expect(second.ackId).not.toBe(first.ackId);
    const acks = await send(JSON.stringify({ acks: [first.ackId, second.ackId] }), {
      url: '/services/collector/ack',
      headers: channel,
    });
    expect(acks.json()).toEqual({ acks: { [first.ackId]: true, [second.ackId]: true } });
    // An id never given, or given on another channel, is not acknowledged.
    const elsewhere = await send(JSON.stringify({ acks: [first.ackId, 999_999] }), {
      url: '/services/collector/ack',
      headers: { 'x-splunk-request-channel': 'another-channel' },
    });
    expect(elsewhere.json()).toEqual({ acks: { [first.ackId]: false, 999999: false } });
    const bad = await send('{"acks": "all"}', { url: '/services/collector/ack', headers: channel });
    expect([bad.statusCode, bad.json()]).toMatchObject([400, { code: 6 }]);
    const anonymous = await send('{"acks": [0]}', { url: '/services/collector/ack', auth: null });
    expect([anonymous.statusCode, anonymous.json()]).toEqual([401, { text: 'Token is required', code: 2 }]);
  });

  it('is answered over a real socket only once its events are committed, recording the client address', async () => {
    const address = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const body = gzipSync(Array.from({ length: 5 }, (_, i) => envelope(i)).join(''));
    const res = await fetch(`${address}/services/collector/event`, {
      method: 'POST',
      headers: {
        authorization: `Splunk ${token}`,
        'content-encoding': 'gzip',
        'x-splunk-request-channel': 'c1',
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ text: 'Success', code: 0, accepted: 5 });
    // Read as soon as the answer came: every event is there.
    const rows = await stored();
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.received_from === '127.0.0.1')).toBe(true);
    const health = await fetch(`${address}/services/collector/health`);
    expect(await health.json()).toEqual({ text: 'HEC is healthy', code: 17 });
  });
});
