import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { signWebhook } from '../../src/connectors/vendors/webhook/webhook-signature.js';
import { generateMasterKey } from '../../src/governance/secrets/secret-box.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const SAMPLES = '/work/shared/samples';
const suricataLines = readFileSync(
  `${SAMPLES}/suricata/oisf_suricata_pr13999_logs_eve_alert_lines.ndjson`,
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim() !== '');
const wazuh = JSON.parse(
  readFileSync(`${SAMPLES}/wazuh/wazuh_alerts_extracted_from_wazuh-qa.ndjson`, 'utf8').split('\n')[0] ?? '{}',
) as Record<string, unknown>;
const json = { 'content-type': 'application/json' };

describe.each(DIALECTS)('alerts API on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    // HMAC secrets are sealed with the master key: a configured one keeps the test from writing a key file.
    api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      config: { masterKey: generateMasterKey().key.toString('base64') },
    });
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const post = (url: string, payload: string | Buffer, headers: Record<string, string> = json) =>
    api.app.inject({ method: 'POST', url, payload, headers: { ...asRole('ingest'), ...headers } });

  it('looks a source up once for POSTs arriving together, and refuses at once a source disabled since', async () => {
    const admin = { ...json, ...asRole('admin') };
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: admin,
      payload: JSON.stringify({ name: 'wazuh-prod', mapper: 'wazuh' }),
    });
    expect(created.statusCode).toBe(201);
    let lookups = 0;
    const query = pg.Client.prototype.query;
    const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
      this: pg.Client,
      ...args: unknown[]
    ) {
      const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: unknown }).text);
      if (/from "ingest_sources"/.test(text)) lookups += 1;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query);
    const together = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        post('/api/v1/alerts?source=wazuh-prod', JSON.stringify({ ...wazuh, id: `evt-${i}` })),
      ),
    );
    spy.mockRestore();
    expect(together.map((r) => r.statusCode)).toEqual(Array.from({ length: 16 }, () => 200));
    // Each stored (a repeat of the same event counts as a duplicate by fingerprint).
    expect(together.filter((r) => r.json().accepted === 1)).toHaveLength(1);
    expect(together.filter((r) => r.json().duplicates === 1)).toHaveLength(15);
    if (dialect === 'postgres') expect(lookups).toBe(1);

    const disabled = await api.app.inject({
      method: 'PATCH',
      url: '/api/v1/sources/wazuh-prod',
      headers: admin,
      payload: JSON.stringify({ enabled: false }),
    });
    expect(disabled.statusCode).toBe(200);
    const refused = await Promise.all(
      Array.from({ length: 4 }, () => post('/api/v1/alerts?source=wazuh-prod', JSON.stringify(wazuh))),
    );
    expect(refused.map((r) => r.statusCode)).toEqual([403, 403, 403, 403]);
  });

  it('ingests one alert, then answers a retry as a duplicate; GET returns it with its raw event', async () => {
    const res = await post('/api/v1/alerts?source=wazuh', JSON.stringify(wazuh));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 1, duplicates: 0, rejected: 0, casesCreated: 1, cases: 1 });
    const again = await post('/api/v1/alerts?source=wazuh', JSON.stringify(wazuh));
    expect(again.json()).toMatchObject({
      accepted: 0,
      duplicates: 1,
      items: [{ status: 'duplicate', reason: 'source_event_id' }],
    });
    const got = await api.app.inject({
      method: 'GET',
      url: `/api/v1/alerts/${body.items[0].alertId}`,
      headers: asRole('analyst'),
    });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ source: 'wazuh', severity: 'high', raw: wazuh });
  });

  it('commits concurrent single POSTs together (group commit), answering each with its own alert', async () => {
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        post(
          '/api/v1/alerts?source=edr',
          JSON.stringify({ title: `burst ${i}`, id: `g${i}`, src_ip: `45.33.9.${i}` }),
        ),
      ),
    );
    for (const [i, res] of answers.entries()) {
      expect(res.statusCode).toBe(200);
      const alertId = res.json().items[0].alertId as string;
      const alert = await api.app.inject({
        method: 'GET',
        url: `/api/v1/alerts/${alertId}`,
        headers: asRole('analyst'),
      });
      expect(alert.json().title).toBe(`burst ${i}`);
    }
    // One audit entry per transaction: fewer transactions than requests.
    const transactions = await handle.store.db
      .selectFrom('audit_log')
      .select('seq')
      .where('action', '=', 'alerts.ingested')
      .execute();
    expect(transactions.length).toBeLessThan(16);
  });

  it('keeps the good alerts of an array and names the rejected ones; all bad is a 422 problem', async () => {
    const res = await post('/api/v1/alerts', JSON.stringify([wazuh, { nothing: 1 }, 'x']));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      accepted: 1,
      rejected: 2,
      items: [{ status: 'accepted' }, { index: 1, status: 'rejected' }, { index: 2, status: 'rejected' }],
    });
    const bad = await post('/api/v1/alerts', JSON.stringify([{ nothing: 1 }]));
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.json()).toMatchObject({
      code: 'RIPOSTE_UNPROCESSABLE',
      details: [{ path: 'body[0]', message: expect.stringMatching(/no mapper recognises/) }],
    });
  });

  it('refuses malformed JSON, invalid UTF-8, a wrong content type, an oversized body and deep nesting with 4xx problems', async () => {
    const malformed = await post('/api/v1/alerts', '{"title": "x",\n "a": }');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().message).toMatch(/malformed JSON at line 2, column 7/);
    const utf8 = await post(
      '/api/v1/alerts',
      Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    );
    expect(utf8.statusCode).toBe(400);
    expect(utf8.json()).toMatchObject({
      code: 'RIPOSTE_VALIDATION',
      details: [{ path: 'body', message: 'not valid UTF-8' }],
    });
    const type = await post('/api/v1/alerts', 'title=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(type.statusCode).toBe(415);
    const big = await post(
      '/api/v1/alerts',
      JSON.stringify({ title: 'x'.repeat(api.ctx.config.bodyLimitBytes) }),
    );
    expect(big.statusCode).toBe(413);
    let deep: unknown = { title: 'deep' };
    for (let i = 0; i < 100; i += 1) deep = { title: 'deep', child: deep };
    const nested = await post('/api/v1/alerts', JSON.stringify(deep));
    expect(nested.statusCode).toBe(422);
    expect(nested.json().details[0].message).toMatch(/nested deeper than 64/);
  });

  it('refuses a text body with 415, names the body itself without a trailing dot, and reads media types in any case', async () => {
    const text = await post('/api/v1/alerts', 'an alert', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    const scalar = await post('/api/v1/alerts', '"a string"');
    expect(scalar.statusCode).toBe(400);
    expect(scalar.json().details[0].path).toBe('body');
    const upper = await post('/api/v1/alerts', JSON.stringify({ title: 'Upper', severity: 'low' }), {
      'content-type': 'Application/JSON',
    });
    expect(upper.statusCode).toBe(200);
    const ndjson = await post('/api/v1/alerts/ndjson', '{"title":"Upper","severity":"low"}\n', {
      'content-type': 'Application/X-NDJSON',
    });
    expect(ndjson.statusCode).toBe(200);
  });

  it('answers 400, not 500, for NUL characters in the URL and times past any alert', async () => {
    const read = (url: string) => api.app.inject({ method: 'GET', url, headers: asRole('admin') });
    for (const query of ['cursor=%00', 'observable=a%00b', 'source=%00', 'caseId=%00abc']) {
      const res = await read(`/api/v1/alerts?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().details[0].path).toBe('url');
    }
    expect((await read('/api/v1/alerts/a%00b')).statusCode).toBe(400);
    for (const query of ['from=99999999999999999999', 'to=9999-12-31T23:59:59.999-01:00']) {
      const res = await read(`/api/v1/alerts?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().message).toMatch(/out of range/);
    }
  });

  it('publishes every alerts route in the OpenAPI document', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/alerts',
        '/api/v1/alerts/ndjson',
        '/api/v1/alerts/{id}',
        '/api/v1/sources',
        '/api/v1/sources/{source}/webhook',
        '/api/v1/ingest/settings',
      ]),
    );
  });

  it('requires alerts:ingest to post and alerts:read to list', async () => {
    const anon = await api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts',
      payload: JSON.stringify(wazuh),
      headers: json,
    });
    expect(anon.statusCode).toBe(401);
    const viewer = await api.app.inject({
      method: 'POST',
      url: '/api/v1/alerts',
      payload: JSON.stringify(wazuh),
      headers: { ...json, ...asRole('viewer') },
    });
    expect(viewer.statusCode).toBe(403);
    const list = await api.app.inject({ method: 'GET', url: '/api/v1/alerts', headers: asRole('ingest') });
    expect(list.statusCode).toBe(403);
  });

  it('streams NDJSON with line-numbered rejections, and lists with filters and a cursor', async () => {
    const body = [
      suricataLines[0],
      '{broken',
      '',
      JSON.stringify(wazuh),
      JSON.stringify({ title: 'custom', severity: 'critical', src_ip: '45.33.32.156', id: 'c1' }),
    ].join('\n');
    const res = await post('/api/v1/alerts/ndjson?source=ids', body, {
      'content-type': 'application/x-ndjson',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      accepted: 3,
      rejected: 1,
      rejections: [{ line: 2, reason: expect.stringMatching(/^malformed JSON at line 1, column 2/) }],
    });
    const reader = asRole('analyst');
    const crit = await api.app.inject({
      method: 'GET',
      url: '/api/v1/alerts?severity=critical',
      headers: reader,
    });
    expect(crit.json().alerts.map((a: { title: string }) => a.title)).toEqual(['custom']);
    const byIp = await api.app.inject({
      method: 'GET',
      url: '/api/v1/alerts?observable=45.33.32.156',
      headers: reader,
    });
    expect(byIp.json().alerts).toHaveLength(1);
    const page1 = await api.app.inject({
      method: 'GET',
      url: '/api/v1/alerts?source=ids&limit=2',
      headers: reader,
    });
    const p1 = page1.json();
    expect(p1.alerts).toHaveLength(2);
    const page2 = await api.app.inject({
      method: 'GET',
      url: `/api/v1/alerts?source=ids&limit=2&cursor=${p1.nextCursor}`,
      headers: reader,
    });
    expect(page2.json()).toMatchObject({ nextCursor: null });
    expect(page2.json().alerts).toHaveLength(1);
    const caseId = p1.alerts[0].caseId;
    const byCase = await api.app.inject({
      method: 'GET',
      url: `/api/v1/alerts?caseId=${caseId}`,
      headers: reader,
    });
    expect(byCase.json().alerts.every((a: { caseId: string }) => a.caseId === caseId)).toBe(true);
    const future = await api.app.inject({
      method: 'GET',
      url: '/api/v1/alerts?from=2100-01-01T00:00:00Z',
      headers: reader,
    });
    expect(future.json().alerts).toEqual([]);
    const badTime = await api.app.inject({
      method: 'GET',
      url: '/api/v1/alerts?from=yesterday',
      headers: reader,
    });
    expect(badTime.statusCode).toBe(400);
    const wrongType = await post('/api/v1/alerts/ndjson', body, json);
    expect(wrongType.statusCode).toBe(415);
  });

  it('manages sources and authenticates webhooks by token or HMAC, refusing bad credentials with 401', async () => {
    const admin = { ...json, ...asRole('admin') };
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: admin,
      payload: JSON.stringify({ name: 'wazuh-prod', mapper: 'wazuh', hmac: true }),
    });
    expect(created.statusCode).toBe(201);
    const { token, hmacSecret, source } = created.json();
    expect(source).toMatchObject({ name: 'wazuh-prod', hasToken: true, hasHmacSecret: true });
    const list = await api.app.inject({ method: 'GET', url: '/api/v1/sources', headers: asRole('admin') });
    expect(JSON.stringify(list.json())).not.toContain(token);
    expect(JSON.stringify(list.json())).not.toContain(hmacSecret);

    const url = '/api/v1/sources/wazuh-prod/webhook';
    const payload = JSON.stringify(wazuh);
    const byToken = await api.app.inject({
      method: 'POST',
      url,
      payload,
      headers: { ...json, 'x-riposte-token': token },
    });
    expect(byToken.statusCode).toBe(200);
    expect(byToken.json()).toMatchObject({ accepted: 1 });
    const other = JSON.stringify({ ...wazuh, id: 'other-1' });
    const sig = createHmac('sha256', hmacSecret).update(other).digest('hex');
    const timestamp = String(Math.floor(api.ctx.clock.now() / 1000));
    const byHmac = await api.app.inject({
      method: 'POST',
      url,
      payload: other,
      headers: {
        ...json,
        'x-riposte-timestamp': timestamp,
        'x-riposte-signature': signWebhook(hmacSecret, timestamp, other),
      },
    });
    expect(byHmac.statusCode).toBe(200);
    expect(byHmac.json()).toMatchObject({ duplicates: 1 });
    for (const headers of [
      { 'x-riposte-token': 'rpi_wrong' },
      { 'x-riposte-signature': `sha256=${'0'.repeat(64)}` },
      { 'x-riposte-signature': `sha256=${sig}` }, // signature of another body
      {},
    ]) {
      const res = await api.app.inject({
        method: 'POST',
        url,
        payload: `${payload} `,
        headers: { ...json, ...headers },
      });
      expect(res.statusCode).toBe(401);
    }
    const unknown = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources/nope/webhook',
      payload,
      headers: { ...json, 'x-riposte-token': token },
    });
    expect(unknown.statusCode).toBe(401);

    const disabled = await api.app.inject({
      method: 'PATCH',
      url: '/api/v1/sources/wazuh-prod',
      headers: admin,
      payload: JSON.stringify({ enabled: false }),
    });
    expect(disabled.json().source.enabled).toBe(false);
    const refused = await api.app.inject({
      method: 'POST',
      url,
      payload,
      headers: { ...json, 'x-riposte-token': token },
    });
    expect(refused.statusCode).toBe(401);
    const rotated = await api.app.inject({
      method: 'PATCH',
      url: '/api/v1/sources/wazuh-prod',
      headers: admin,
      payload: JSON.stringify({ enabled: true, rotateToken: true }),
    });
    const newToken = rotated.json().token;
    expect(newToken).not.toBe(token);
    expect(
      (await api.app.inject({ method: 'POST', url, payload, headers: { ...json, 'x-riposte-token': token } }))
        .statusCode,
    ).toBe(401);
    expect(
      (
        await api.app.inject({
          method: 'POST',
          url,
          payload,
          headers: { ...json, 'x-riposte-token': newToken },
        })
      ).statusCode,
    ).toBe(200);
    expect(api.logs.join('')).not.toContain(newToken);

    const syslog = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: admin,
      payload: JSON.stringify({ name: 'fw', mapper: 'syslog' }),
    });
    const lines =
      '<134>1 2026-01-01T00:00:00Z fw1 asa - - - CEF:0|Cisco|ASA|9|106023|Deny tcp|7|src=45.33.32.156 dst=10.0.0.5\nnot syslog\n';
    const sl = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources/fw/webhook',
      payload: lines,
      headers: { 'content-type': 'text/plain', 'x-riposte-token': syslog.json().token },
    });
    expect(sl.statusCode).toBe(200);
    expect(sl.json()).toMatchObject({ accepted: 1, rejected: 1 });
    const del = await api.app.inject({
      method: 'DELETE',
      url: '/api/v1/sources/fw',
      headers: asRole('admin'),
    });
    expect(del.statusCode).toBe(204);
    const forbidden = await api.app.inject({
      method: 'GET',
      url: '/api/v1/sources',
      headers: asRole('analyst'),
    });
    expect(forbidden.statusCode).toBe(403);
  });

  it('answers bad webhook bodies with 4xx problems naming where, after the credential is checked', async () => {
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { ...json, ...asRole('admin') },
      payload: JSON.stringify({ name: 'edr' }),
    });
    const token = created.json().token as string;
    const hook = (payload: string | Buffer, headers: Record<string, string>) =>
      api.app.inject({ method: 'POST', url: '/api/v1/sources/edr/webhook', payload, headers });
    const problem = (res: { statusCode: number; headers: Record<string, unknown> }, status: number) => {
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    };

    // Nothing about the body is revealed to a caller without the source's credential.
    problem(await hook('{broken', { ...json, 'x-riposte-token': 'rpi_wrong' }), 401);
    const authed = { 'x-riposte-token': token };
    const malformed = await hook('{"title": "x",\n "a": }', { ...json, ...authed });
    problem(malformed, 400);
    expect(malformed.json().details[0]).toMatchObject({
      path: 'body',
      message: expect.stringMatching(/line 2, column 7/),
    });
    const utf8 = await hook(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), { ...json, ...authed });
    problem(utf8, 400);
    expect(utf8.json().details[0].message).toBe('not valid UTF-8');
    problem(await hook('title=x', { 'content-type': 'application/x-www-form-urlencoded', ...authed }), 415);
    problem(
      await hook(JSON.stringify({ title: 'x'.repeat(api.ctx.config.bodyLimitBytes) }), {
        ...json,
        ...authed,
      }),
      413,
    );
    let deep: unknown = { title: 'deep' };
    for (let i = 0; i < 100; i += 1) deep = { title: 'deep', child: deep };
    const nested = await hook(JSON.stringify(deep), { ...json, ...authed });
    problem(nested, 422);
    expect(nested.json().details[0]).toMatchObject({ path: 'body', message: /nested deeper than 64/ });
    const noLine = await hook('{broken\n[1\n', { 'content-type': 'application/x-ndjson', ...authed });
    problem(noLine, 422);
    expect(noLine.json().details).toMatchObject([
      { line: 1, message: expect.stringMatching(/malformed JSON/) },
      { line: 2, message: expect.stringMatching(/malformed JSON/) },
    ]);
    const some = await hook(`{broken\n${JSON.stringify(wazuh)}\n`, {
      'content-type': 'application/x-ndjson',
      ...authed,
    });
    expect(some.statusCode).toBe(200);
    expect(some.json()).toMatchObject({
      accepted: 1,
      rejected: 1,
      rejections: [{ line: 1, reason: expect.stringMatching(/malformed JSON/) }],
    });
  });
});
