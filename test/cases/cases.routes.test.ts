import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaseRoutes } from '../../src/api/cases/cases.routes.js';
import { metricsRoutes, prometheusRootRoutes } from '../../src/api/metrics/metrics.routes.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { attachObservable, insertAlert } from './case-fixtures.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(DIALECTS)('cases HTTP API on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  let dataDir: string;
  const analyst = asRole('analyst');

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'riposte-evidence-'));
    api = await buildTestApi(
      handle.store,
      [
        { name: 'cases', plugin: createCaseRoutes({ evidence: { maxBytes: 4096, inlineMaxBytes: 100 } }) },
        { name: 'metrics', plugin: metricsRoutes },
      ],
      { config: { dataDir } },
    );
  });
  afterAll(async () => {
    await api.app.close();
    await handle.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (url: string, payload: unknown, headers = analyst) =>
    api.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload: payload as object });
  const get = (url: string, headers = analyst) => api.app.inject({ url: `/api/v1${url}`, headers });
  const newCase = async (body: Record<string, unknown>) => {
    const res = await post('/cases', { severity: 'high', ...body });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; number: number };
  };

  it('opens a case with a checklist and shows its SLA clocks and next moves', async () => {
    const kase = await newCase({ title: 'Phish to finance', caseType: 'phishing', tags: ['finance'] });
    const detail = (await get(`/cases/${kase.id}`)).json();
    expect(detail).toMatchObject({
      title: 'Phish to finance',
      status: 'new',
      caseType: 'phishing',
      allowedTransitions: ['triage'],
    });
    expect(detail.sla.map((c: { name: string }) => c.name)).toEqual(['acknowledge', 'contain', 'resolve']);
    const tasks = (await get(`/cases/${kase.id}/tasks`)).json();
    expect(tasks.length).toBeGreaterThan(3);
    expect(tasks[0].template).toBe('phishing');
  });

  it('names unknown fields and bad values, and refuses writes to viewers', async () => {
    const res = await post('/cases', { title: 'x', severity: 'urgent', colour: 'red' });
    expect(res.statusCode).toBe(400);
    const paths = res.json().details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['body.severity']));
    expect(JSON.stringify(res.json())).toContain('colour');
    expect((await post('/cases', { title: 'x', severity: 'low' }, asRole('viewer'))).statusCode).toBe(403);
    expect((await get('/cases/does-not-exist')).statusCode).toBe(404);
    expect((await get('/cases?status=bogus')).statusCode).toBe(400);
  });

  it('moves a case through the lifecycle with clear 409 and 422 answers', async () => {
    const kase = await newCase({ title: 'Lateral movement' });
    const move = (body: unknown) => post(`/cases/${kase.id}/transitions`, body);
    const illegal = await move({ to: 'eradication' });
    expect(illegal.statusCode).toBe(409);
    expect(illegal.json()).toMatchObject({ code: 'RIPOSTE_ILLEGAL_TRANSITION' });
    expect(illegal.json().message).toContain('from new to eradication');
    expect((await move({ to: 'triage' })).json().status).toBe('triage');
    const noResolution = await move({ to: 'closed' });
    expect(noResolution.statusCode).toBe(422);
    expect(noResolution.json().details[0].path).toBe('resolution');
    const closed = await move({ to: 'closed', resolution: 'false_positive' });
    expect(closed.json()).toMatchObject({ status: 'closed', resolution: 'false_positive' });
    const timeline = (await get(`/cases/${kase.id}/timeline`)).json();
    expect(timeline.items.map((e: { type: string }) => e.type)).toEqual([
      'case_created',
      'status_changed',
      'status_changed',
    ]);
    const review = await api.app.inject({
      method: 'PUT',
      url: `/api/v1/cases/${kase.id}/review`,
      headers: analyst,
      payload: {
        rootCause: 'Scanner misconfigured',
        lessonsLearned: 'Tune rule 2001',
        followUps: [{ title: 'Tune' }],
      },
    });
    expect(review.statusCode).toBe(200);
    expect((await get(`/cases/${kase.id}/review`)).json().followUps).toEqual([
      { title: 'Tune', done: false },
    ]);
  });

  it('searches by status, severity, tag, text and observable, a page at a time', async () => {
    const a = await newCase({
      title: 'Ransomware on HR-LAPTOP-7',
      severity: 'critical',
      tags: ['ransomware'],
    });
    const b = await newCase({ title: 'Second ransomware note', severity: 'critical', tags: ['ransomware'] });
    await attachObservable(handle.store, b.id, { type: 'ipv4', value: '198.51.100.77' }, Date.now());
    const ids = (url: string) => get(url).then((r) => r.json().items.map((c: { id: string }) => c.id));
    expect(await ids('/cases?tag=ransomware')).toEqual([b.id, a.id]);
    expect(await ids('/cases?q=hr-laptop')).toEqual([a.id]);
    expect(await ids('/cases?observable=198.51.100.77')).toEqual([b.id]);
    expect(await ids('/cases?severity=critical&status=new,triage&tag=ransomware')).toEqual([b.id, a.id]);
    const page1 = (await get('/cases?tag=ransomware&limit=1')).json();
    expect(page1.items.map((c: { id: string }) => c.id)).toEqual([b.id]);
    const page2 = (await get(`/cases?tag=ransomware&limit=1&cursor=${page1.nextCursor}`)).json();
    expect(page2.items.map((c: { id: string }) => c.id)).toEqual([a.id]);
    expect(page2.nextCursor).toBeNull();
  });

  it('keeps tasks, comments, verdicts and sightings', async () => {
    const kase = await newCase({ title: 'Beaconing' });
    const other = await newCase({ title: 'Other' });
    await attachObservable(handle.store, other.id, { type: 'domain', value: 'c2.example' }, Date.now());
    const task = await post(`/cases/${kase.id}/tasks`, { title: 'Pull proxy logs', assignee: 'ana' });
    expect(task.statusCode).toBe(201);
    const done = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/cases/${kase.id}/tasks/${task.json().id}`,
      headers: analyst,
      payload: { state: 'done' },
    });
    expect(done.json().state).toBe('done');
    expect((await post(`/cases/${kase.id}/comments`, { body: 'Seen **twice**' })).statusCode).toBe(201);
    const verdict = await post(`/cases/${kase.id}/observables/verdicts`, {
      type: 'domain',
      value: 'C2.example',
      verdict: 'malicious',
    });
    expect(verdict.statusCode).toBe(200);
    const wrongType = await post(`/cases/${kase.id}/observables/verdicts`, {
      type: 'sha256',
      value: 'abc',
      verdict: 'benign',
    });
    expect(wrongType.statusCode).toBe(422);
    const observables = (await get(`/cases/${kase.id}/observables`)).json();
    expect(observables).toEqual([
      expect.objectContaining({ value: 'c2.example', verdict: 'malicious', otherCases: 1 }),
    ]);
  });

  it('tags observables, shows the tags in every case that holds them, and names bad input', async () => {
    const kase = await newCase({ title: 'Tor exit traffic' });
    const other = await newCase({ title: 'Same IP elsewhere' });
    await attachObservable(handle.store, other.id, { type: 'ipv4', value: '203.0.113.50' }, Date.now());
    const tag = (body: Record<string, unknown>) =>
      api.app.inject({
        method: 'PUT',
        url: `/api/v1/cases/${kase.id}/observables/tags`,
        headers: analyst,
        payload: body,
      });
    const res = await tag({ type: 'ipv4', value: '203.0.113.50', tags: ['tor-exit', 'c2', 'tor-exit'] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ tags: ['c2', 'tor-exit'], event: { type: 'observable_tagged' } });
    expect(res.json().event.data.tags).toEqual({ from: [], to: ['c2', 'tor-exit'] });
    // Same tags again: nothing changes, nothing is written to the timeline.
    expect((await tag({ type: 'ipv4', value: '203.0.113.50', tags: ['tor-exit', 'c2'] })).json().event).toBe(
      null,
    );
    for (const id of [kase.id, other.id]) {
      const observables = (await get(`/cases/${id}/observables`)).json();
      expect(observables).toEqual([
        expect.objectContaining({ value: '203.0.113.50', tags: ['c2', 'tor-exit'], otherCases: 1 }),
      ]);
    }
    const wrongType = await tag({ type: 'ipv4', value: 'not-an-ip', tags: ['x'] });
    expect(wrongType.statusCode).toBe(422);
    expect(wrongType.json().details[0].path).toBe('observable.value');
    const unknownField = await tag({ type: 'ipv4', value: '203.0.113.51', tags: [], colour: 'red' });
    expect(unknownField.statusCode).toBe(400);
    expect(JSON.stringify(unknownField.json())).toContain('colour');
    const timeline = (await get(`/cases/${kase.id}/timeline`)).json();
    expect(timeline.items.filter((e: { type: string }) => e.type === 'observable_tagged')).toHaveLength(1);
  });

  it('merges cases and moves alerts over HTTP', async () => {
    const survivor = await newCase({ title: 'Survivor' });
    const merged = await newCase({ title: 'Merged' });
    const other = await newCase({ title: 'Other' });
    await insertAlert(handle.store, { caseId: merged.id, time: Date.now() });
    const alertId = await insertAlert(handle.store, { caseId: other.id, time: Date.now() });
    const res = await post(`/cases/${survivor.id}/merge`, { mergedId: merged.id });
    expect(res.statusCode).toBe(200);
    expect(res.json().moved.alerts).toBe(1);
    expect(res.json().merged).toMatchObject({
      mergedInto: survivor.id,
      status: 'closed',
      resolution: 'duplicate',
    });
    const moved = await post(`/cases/${survivor.id}/alerts`, { alertId });
    expect(moved.json()).toEqual({ fromCaseId: other.id, toCaseId: survivor.id });
    expect((await get(`/cases/${survivor.id}/alerts`)).json()).toHaveLength(2);
  });

  it('stores evidence by hash, verifies checksums, limits size and records custody', async () => {
    const kase = await newCase({ title: 'Evidence' });
    const upload = (bytes: Buffer, headers: Record<string, string> = {}) =>
      api.app.inject({
        method: 'POST',
        url: `/api/v1/cases/${kase.id}/evidence?filename=mail.eml`,
        headers: { ...analyst, 'content-type': 'message/rfc822', ...headers },
        payload: bytes,
      });
    const small = Buffer.from('From: attacker@example.com\r\n\r\nhi');
    const big = Buffer.alloc(1000, 7);
    const inline = await upload(small, { 'x-checksum-sha256': sha256(small) });
    expect(inline.statusCode).toBe(201);
    expect(inline.json()).toMatchObject({
      sha256: sha256(small),
      size: small.length,
      contentType: 'message/rfc822',
      storage: 'inline',
    });
    const onDisk = await upload(big, {
      digest: `sha-256=${createHash('sha256').update(big).digest('base64')}`,
    });
    expect(onDisk.json().storage).toBe('file');
    expect(existsSync(join(dataDir, 'evidence', sha256(big).slice(0, 2), sha256(big)))).toBe(true);
    const wrong = await upload(small, { 'x-checksum-sha256': sha256(big) });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().details[0].path).toBe('headers.x-checksum-sha256');
    const tooBig = await upload(Buffer.alloc(5000, 1));
    expect(tooBig.statusCode).toBe(413);
    const traversal = await api.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${kase.id}/evidence?filename=..%2F..%2Fetc%2Fpasswd`,
      headers: { ...analyst, 'content-type': 'application/octet-stream' },
      payload: small,
    });
    expect(traversal.statusCode).toBe(400);
    expect(traversal.json().details[0].path).toBe('querystring.filename');
    const download = await get(`/cases/${kase.id}/evidence/${onDisk.json().id}/content`);
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(big)).toBe(true);
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['content-disposition']).toContain('attachment');
    const types = (await get(`/cases/${kase.id}/timeline`)).json().items.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'evidence_added')).toHaveLength(2);
    expect(types.at(-1)).toBe('evidence_downloaded');
    const audit = await readAuditEntries(handle.store.db, 0, 100_000);
    expect(audit.at(-1)).toMatchObject({
      action: 'evidence.downloaded',
      target: { type: 'case', id: kase.id },
    });
    expect((await get(`/cases/${kase.id}/evidence`)).json()).toHaveLength(2);
  });

  it('stores JSON, text and untyped evidence byte for byte with the content type as sent', async () => {
    const kase = await newCase({ title: 'Evidence of every type' });
    const bodies: Array<[string | undefined, Buffer]> = [
      // Whitespace and key order that a parse-and-serialise round trip would lose.
      ['application/json', Buffer.from('{ "b": 1,\n  "a": [1, 2] }\n')],
      ['application/json; charset=utf-8', Buffer.from('[]')],
      ['text/plain; charset=utf-8', Buffer.from('Failed password for root from 203.0.113.9\n')],
      ['text/csv', Buffer.from('ip,count\n203.0.113.9,42\n')],
      ['application/x-www-form-urlencoded', Buffer.from('user=alice&pass=hunter2')],
      [undefined, Buffer.from([0x4d, 0x5a, 0x90, 0x00])],
    ];
    for (const [contentType, bytes] of bodies) {
      const res = await api.app.inject({
        method: 'POST',
        url: `/api/v1/cases/${kase.id}/evidence?filename=sample.bin`,
        headers: {
          ...analyst,
          ...(contentType ? { 'content-type': contentType } : {}),
          'x-checksum-sha256': sha256(bytes),
        },
        payload: bytes,
      });
      expect(res.statusCode, `${contentType}: ${res.body}`).toBe(201);
      expect(res.json()).toMatchObject({
        sha256: sha256(bytes),
        size: bytes.length,
        contentType: contentType ?? 'application/octet-stream',
      });
      const back = await get(`/cases/${kase.id}/evidence/${res.json().id}/content`);
      expect(back.rawPayload.equals(bytes)).toBe(true);
      expect(back.headers['x-evidence-content-type']).toBe(contentType ?? 'application/octet-stream');
    }
    // A JSON body over the limit is refused like any other, before anything is stored.
    const tooBig = await api.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${kase.id}/evidence?filename=big.json`,
      headers: { ...analyst, 'content-type': 'application/json' },
      payload: `[${'1,'.repeat(3000)}1]`,
    });
    expect(tooBig.statusCode).toBe(413);
    expect((await get(`/cases/${kase.id}/evidence`)).json()).toHaveLength(bodies.length);
    // The other case routes in the same plugin still parse JSON bodies.
    expect((await post(`/cases/${kase.id}/comments`, { body: 'still JSON' })).statusCode).toBe(201);
  });

  it('reports response metrics as JSON and Prometheus text', async () => {
    const res = await get('/metrics/response?group_by=severity');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total.cases).toBeGreaterThan(5);
    expect(body.total.closed).toBeGreaterThan(0);
    expect(body.groups.map((g: { key: string }) => g.key)).toContain('critical');
    expect((await get('/metrics/response?from=10&to=5')).statusCode).toBe(400);
    // Times as the other queries read them: epoch ms or strict ISO 8601, nothing Date.parse would guess at.
    for (const bad of ['from=', 'from=1%202', 'to=May%202%202024', 'from=2024-02-30'])
      expect((await get(`/metrics/response?${bad}`)).statusCode, bad).toBe(400);
    expect((await get('/metrics/response?from=2026-01-01&to=2026-03-01T00:00:00Z')).statusCode).toBe(200);
    const prom = await get('/metrics/prometheus', asRole('viewer'));
    expect(prom.headers['content-type']).toContain('text/plain');
    expect(prom.body).toMatch(/^riposte_cases_open\{severity="critical",age="lt_1h"\} \d+$/m);
    expect(prom.body).toContain('# TYPE riposte_case_mttr_seconds gauge');
    expect((await get('/metrics/prometheus', asRole('ingest'))).statusCode).toBe(403);
  });
});

describe('Prometheus at the server root', () => {
  it('serves /metrics when mounted outside /api/v1', async () => {
    const handle = await openTestStore('sqlite');
    const api = await buildTestApi(handle.store, [{ name: 'prometheus', plugin: prometheusRootRoutes }]);
    try {
      // Route plugins are mounted under /api/v1 by buildServer; the lead mounts this one at the root.
      const res = await api.app.inject({ url: '/api/v1/metrics', headers: asRole('viewer') });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('riposte_case_mtta_seconds');
    } finally {
      await api.app.close();
      await handle.cleanup();
    }
  });
});
