import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

// GET /alerts answers a 400 naming the parameter for anything it would otherwise misread: a cursor it did not
// hand out, a time Date.parse guessed at, an unknown or empty parameter. Each used to answer a wrong page.
describe.each(DIALECTS)('GET /alerts query on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  const tz = process.env.TZ;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }]);
  });
  afterEach(async () => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
    await api.app.close();
    await handle.cleanup();
  });

  const ingest = async (alerts: Array<Record<string, unknown>>) => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts?source=edr',
      payload: JSON.stringify(alerts),
      headers: { 'content-type': 'application/json', ...asRole('ingest') },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const list = (query: string) =>
    api.app.inject({ method: 'GET', url: `/api/v1/alerts?${query}`, headers: asRole('analyst') });
  const titles = async (query: string): Promise<string[]> => {
    const res = await list(query);
    expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
    return (res.json() as { alerts: Array<{ title: string }> }).alerts.map((a) => a.title);
  };
  /** The problem answered for a query, which must be a 400 naming `path` first. */
  const expectRefused = async (query: string, path: string) => {
    const res = await list(query);
    expect(res.statusCode, `${query}: ${res.body}`).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json(), query).toMatchObject({ code: 'RIPOSTE_VALIDATION', details: [{ path }] });
  };

  it('pages on the cursors it hands out, and refuses any other cursor', async () => {
    await ingest([0, 1, 2, 3, 4].map((i) => ({ title: `a${i}`, id: `e${i}`, src_ip: `45.33.9.${i}` })));
    type Page = { alerts: Array<{ id: string; title: string }>; nextCursor: string | null };
    const first = (await list('limit=2')).json() as Page;
    const seen = first.alerts.map((a) => a.title);
    for (let cursor: string | null = first.nextCursor; cursor;) {
      const page = (await list(`limit=2&cursor=${cursor}`)).json() as Page;
      seen.push(...page.alerts.map((a) => a.title));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(['a4', 'a3', 'a2', 'a1', 'a0']);
    // `garbage` restarted at the newest alert with a next cursor (a client looped), `0` answered an empty
    // last page, a cut-off id skipped alerts, and an empty cursor was ignored.
    const id = first.alerts[1]?.id ?? '';
    for (const cursor of ['garbage', '0', '', id.slice(0, 30), id.toUpperCase(), "' or 1=1 --"]) {
      await expectRefused(`limit=2&cursor=${encodeURIComponent(cursor)}`, 'querystring.cursor');
    }
  });

  it('takes epoch ms or strict ISO 8601 for from and to, a time without an offset as UTC', async () => {
    await ingest([
      { title: 'may1', id: 'a', time: '2024-05-01T12:00:00Z', src_ip: '45.33.9.1' },
      // Ingest reads a time without an offset as UTC: 2024-05-03T10:00:00Z.
      { title: 'may3', id: 'c', time: '2024-05-03T10:00:00', src_ip: '45.33.9.3' },
    ]);
    // The same literal finds the same alert whatever the server's zone (Date.parse read it as local time).
    process.env.TZ = 'America/New_York';
    expect(await titles('from=2024-05-03T10:00:00')).toEqual(['may3']);
    expect(await titles('to=2024-05-03T10:00:00')).toEqual(['may1']);
    expect(await titles('from=2024-05-03T09:00:00-01:00')).toEqual(['may3']);
    expect(await titles(`from=${Date.UTC(2024, 4, 1)}&to=2024-05-02`)).toEqual(['may1']);
    expect(await titles('from=2024-05-03T10:00:00Z&to=2024-05-03T10:00:00Z')).toEqual([]);
    // V8 read the first three as dates in 2001 or local time, and rolled February 30 over into March.
    for (const [query, path] of [
      ['from=-1', 'querystring.from'],
      ['from=1%202', 'querystring.from'],
      ['to=May%202%202024%2010:00', 'querystring.to'],
      ['from=2024-02-30T00:00:00Z', 'querystring.from'],
      ['to=2024-05-01T24:00:00Z', 'querystring.to'],
      ['from=', 'querystring.from'],
      ['from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z', 'querystring.from'],
      ['from=99999999999999999999', 'querystring.from'],
      // Epoch seconds: read as ms, 1714780800 was January 20, 1970.
      ['from=1714780800', 'querystring.from'],
    ] as const) {
      await expectRefused(query, path);
    }
  });

  it('refuses an unknown parameter and an empty filter instead of listing every alert', async () => {
    await ingest([
      { title: 'crit', id: 'c', severity: 'critical', src_ip: '45.33.9.1' },
      { title: 'low', id: 'l', severity: 'low', src_ip: '45.33.9.2' },
    ]);
    expect(await titles('severity=critical')).toEqual(['crit']);
    for (const query of ['severty=critical', 'observableType=ipv4&observable=45.33.9.1']) {
      await expectRefused(query, 'querystring');
    }
    for (const name of ['source', 'caseId', 'observable'])
      await expectRefused(`${name}=`, `querystring.${name}`);
    // A source name ingest refuses (upper case, a space) can have no alert: refused, not an empty page.
    for (const source of ['EDR', 'my%20edr']) await expectRefused(`source=${source}`, 'querystring.source');
    // Number() read these: 100, 16, 5 and 0.
    for (const limit of ['1e2', '0x10', '%205', '', '5.0'])
      await expectRefused(`limit=${limit}`, 'querystring.limit');
    expect(await titles('limit=1')).toHaveLength(1);
    expect(await titles('from=0')).toHaveLength(2);
  });

  it('finds an observable however it is written, as ingest stores it', async () => {
    const hash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    await ingest([
      { title: 'x1', id: 'x1', src_ip: '45.33.9.1', domain: 'Evil.Example.COM', sha256: hash.toUpperCase() },
      { title: 'x2', id: 'x2', src_ip: '45.33.9.2' },
    ]);
    for (const written of [
      'Evil.Example.COM',
      'evil[.]example[.]com',
      '45.33.9[.]1',
      ' 45.33.9.1',
      '::ffff:45.33.9.1',
      hash.toUpperCase(),
      hash,
    ]) {
      expect(await titles(`observable=${encodeURIComponent(written)}`), written).toEqual(['x1']);
    }
    expect(await titles('observable=45.33.9.3')).toEqual([]);
  });

  it('answers one alert with its raw event as the source sent it, numbers past 2^53 included', async () => {
    // Sent as NDJSON, whose lines are stored as received: a 64-bit flow id, a number JSON.stringify writes
    // otherwise, spacing.
    const line =
      '{"event_type": "alert", "flow_id": 1234567890123456789, "score": 1.10, "src_ip": "203.0.113.7", ' +
      '"alert": {"signature_id": 2000001, "signature": "ET TEST raw", "severity": 2}}';
    const posted = await api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts/ndjson?source=suricata',
      payload: `${line}\n`,
      headers: { 'content-type': 'application/x-ndjson', ...asRole('ingest') },
    });
    expect(posted.statusCode, posted.body).toBe(200);
    const [listed] = (await list('source=suricata').then((r) => r.json())).alerts as Array<{ id: string }>;
    const res = await api.app.inject({
      method: 'GET',
      url: `/api/v1/alerts/${listed?.id}`,
      headers: asRole('analyst'),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toContain(`"raw":${line}}`);
    // The rest is the alert as before, and the whole is JSON.
    expect(res.json()).toMatchObject({ id: listed?.id, source: 'suricata', raw: { event_type: 'alert' } });
  });

  it('keeps each alert of a JSON body, an array line or a webhook call as sent, every digit included', async () => {
    // Parsed and printed again, these would read 1234567890123456800 and 1.1.
    const event = (n: number) =>
      `{"event_type": "alert", "flow_id": 123456789012345678${n}, "score": 1.10, "title": "raw ${n}",` +
      ` "alert": {"signature_id": 200000${n}, "signature": "ET TEST raw ${n}", "severity": 2}}`;
    const post = (url: string, payload: string, type: string, auth: Record<string, string>) =>
      api.app.inject({ method: 'POST', url, payload, headers: { 'content-type': type, ...auth } });
    const ingest = asRole('ingest');
    const sent = [
      await post('/api/v1/alerts?source=suricata', `  ${event(1)}\n`, 'application/json', ingest),
      await post(
        '/api/v1/alerts?source=suricata',
        `[${event(2)},\n  ${event(3)} ]`,
        'application/json',
        ingest,
      ),
      await post(
        '/api/v1/alerts/ndjson?source=suricata',
        `[${event(4)}, ${event(5)}]\n`,
        'application/x-ndjson',
        ingest,
      ),
    ];
    const source = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { 'content-type': 'application/json', ...asRole('admin') },
      payload: JSON.stringify({ name: 'hook', mapper: 'suricata' }),
    });
    const { token } = source.json() as { token: string };
    sent.push(
      await post('/api/v1/sources/hook/webhook', `[${event(6)}, ${event(7)}]`, 'application/json', {
        'x-riposte-token': token,
      }),
      await post('/api/v1/sources/hook/webhook', event(8), 'application/json', { 'x-riposte-token': token }),
    );
    for (const res of sent) expect(res.statusCode, res.body).toBe(200);
    const listed = (await list('limit=20').then((r) => r.json())).alerts as Array<{
      id: string;
      title: string;
    }>;
    expect(listed).toHaveLength(8);
    for (const alert of listed) {
      const n = Number(/raw (\d)/.exec(alert.title)?.[1]);
      const res = await api.app.inject({
        method: 'GET',
        url: `/api/v1/alerts/${alert.id}`,
        headers: asRole('analyst'),
      });
      expect(res.body, alert.title).toContain(`"raw":${event(n)}}`);
    }
  });
});
