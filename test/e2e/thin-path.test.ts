/**
 * The thin path through a real Riposte process, on each store: an alert comes in over HTTP with an ingest
 * token, opens a case, starts a playbook, the playbook waits for a human approval, then blocks the source
 * address on a vendor (a local fake of a REST block list that checks the request), and every step of it is
 * on the case timeline and in a verifiable audit chain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startRiposte, type Runtime } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { dropPostgresSchema } from '../../src/store/dialects/postgres.js';
import { blocklistFake } from '../connectors/fakes/blocklist.fake.js';
import { startFakeServer, type FakeServer } from '../connectors/fakes/fake-server.js';
import { DIALECTS, TEST_PG_URL, testSchemaName } from '../support/stores.js';
import { waitFor } from '../support/waiting.js';

const ADMIN_PASSWORD = 'Thin-path-passw0rd!';
const VENDOR_TOKEN = 'blocklist-token-7f3a9c';

const PLAYBOOK = `
id: block-c2-source
name: Block a C2 source
description: Ask an approver, then block the alert's source address on the edge block list.
triggers:
  - type: alert
    condition: alert.observables.exists(o, o.type == "ipv4" && o.role == "source")
steps:
  - id: pick
    kind: set
    vars:
      ip: "{{ alert.observables.filter(o, o.type == 'ipv4' && o.role == 'source')[0].value }}"
  - id: approve
    kind: approval
    message: "Block {{ vars.ip }} on the edge?"
    approvers: [approver]
    deadline: 1h
  - id: block
    kind: action
    action: blocklist.block_ip
    input: { entry: "{{ vars.ip }}", comment: "riposte run {{ run.id }}" }
  - id: note
    kind: case
    op: add_note
    input: { body: "{{ vars.ip }} blocked: {{ steps.block.output.blocked }}" }
`;

describe.each(DIALECTS)('the thin path on %s', (dialect) => {
  let runtime: Runtime;
  let vendor: FakeServer;
  const blocked = new Set<string>();
  const sent = () => vendor.requests.map((r) => `${r.method} ${r.path}`);
  let dataDir: string;
  const schema = testSchemaName();
  let base: string;
  let cookie = '';
  let csrf = '';

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(cookie ? { cookie, 'x-csrf-token': csrf } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, res };
  };

  beforeAll(async () => {
    vendor = await startFakeServer(blocklistFake({ token: VENDOR_TOKEN, entries: blocked }));
    dataDir = mkdtempSync(join(tmpdir(), 'riposte-e2e-'));
    process.env.RIPOSTE_ADMIN_PASSWORD = ADMIN_PASSWORD;
    const config = loadConfig({
      env: {
        RIPOSTE_DATA_DIR: dataDir,
        RIPOSTE_PORT: '0',
        RIPOSTE_QUEUE_POLL_MS: '100',
        ...(dialect === 'postgres' ? { DATABASE_URL: TEST_PG_URL, RIPOSTE_DATABASE_SCHEMA: schema } : {}),
      },
    });
    runtime = await startRiposte(config, { log: createLogger({ level: 'silent' }) });
    base = runtime.url as string;
    const login = await call('POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    cookie = (login.res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    csrf = login.body.csrfToken as string;
  });

  afterAll(async () => {
    await runtime?.stop();
    await vendor?.close();
    rmSync(dataDir, { recursive: true, force: true });
    delete process.env.RIPOSTE_ADMIN_PASSWORD;
    if (dialect === 'postgres') await dropPostgresSchema(TEST_PG_URL, schema);
  });

  it('takes an alert to a case, a playbook run, an approved vendor action and a verified audit trail', async () => {
    // Configure the vendor and the playbook as a team would, through the API.
    const instance = await call('POST', '/api/v1/connectors', {
      name: 'edge',
      connector: 'blocklist',
      config: { baseUrl: vendor.url, token: VENDOR_TOKEN },
      isDefault: true,
    });
    expect(instance.status, JSON.stringify(instance.body)).toBe(201);
    expect(JSON.stringify(instance.body)).not.toContain(VENDOR_TOKEN);
    const published = await call('POST', '/api/v1/playbooks', { source: PLAYBOOK, activate: true });
    expect(published.status, JSON.stringify(published.body)).toBeLessThan(300);

    // An approver who is not the requester, and an ingest-only token for the IDS.
    const approver = await call('POST', '/api/v1/users', {
      username: 'ana',
      password: 'Approver-passw0rd!',
      roles: ['approver'],
    });
    expect(approver.status, JSON.stringify(approver.body)).toBe(201);
    const token = await call('POST', '/api/v1/tokens', { name: 'suricata', roles: ['ingest'] });
    expect(token.status).toBe(201);

    const alert = {
      timestamp: new Date().toISOString(),
      flow_id: 424_242,
      event_type: 'alert',
      src_ip: '203.0.113.99',
      dest_ip: '10.0.0.8',
      alert: { gid: 1, signature_id: 2_024_217, signature: 'ET CNC Known C2 beacon', severity: 1 },
    };
    const ingest = await fetch(`${base}/api/v1/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.body.token as string}` },
      body: JSON.stringify(alert),
    });
    expect(ingest.status).toBe(200);
    const ingested = (await ingest.json()) as { items: Array<{ caseId: string; status: string }> };
    const caseId = ingested.items[0]?.caseId as string;
    expect(ingested.items[0]?.status).toBe('accepted');

    // The run parks on the approval; the vendor has not been called.
    const approval = await waitFor('the approval request', async () => {
      const list = await call('GET', '/api/v1/approvals?status=pending');
      return (list.body.items as Array<{ id: string }> | undefined)?.[0];
    });
    expect(sent()).toEqual([]);

    // The approver signs in and approves; the run goes on and blocks the address once.
    const signIn = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ana', password: 'Approver-passw0rd!' }),
    });
    const anaCookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const anaCsrf = ((await signIn.json()) as { csrfToken: string }).csrfToken;
    const decided = await fetch(`${base}/api/v1/approvals/${approval.id}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: anaCookie, 'x-csrf-token': anaCsrf },
      body: JSON.stringify({ decision: 'approved', comment: 'known C2' }),
    });
    expect(decided.status, await decided.clone().text()).toBe(200);

    const run = await waitFor('the run to finish', async () => {
      const runs = await call('GET', `/api/v1/runs?case=${caseId}`);
      const r = (runs.body.items as Array<{ id: string; status: string }> | undefined)?.[0];
      return r && ['succeeded', 'failed'].includes(r.status) ? r : undefined;
    });
    expect(run.status).toBe('succeeded');
    expect(blocked.has('203.0.113.99')).toBe(true);
    expect(sent().filter((r) => r.startsWith('PUT'))).toEqual(['PUT /blocklist/203.0.113.99']);

    // The case holds the alert and what the playbook did.
    const timeline = await call('GET', `/api/v1/cases/${caseId}/timeline?limit=200`);
    const text = JSON.stringify(timeline.body);
    expect(text).toContain('alerts_added');
    expect(text).toContain('203.0.113.99 blocked: true');

    // The containment is on record with its undo, and the audit chain verifies.
    const containments = await call('GET', '/api/v1/containments');
    expect(JSON.stringify(containments.body)).toContain('blocklist.unblock_ip');
    const audit = await call('GET', '/api/v1/audit?limit=500');
    const actions = (audit.body.items as Array<{ action: string }>).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['playbook.published', 'approval.requested', 'run.finished']),
    );
    const verify = await call('GET', '/api/v1/audit/verify');
    expect(verify.status, JSON.stringify(verify.body)).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });
  });
});
