import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playbookRoutes } from '../../src/api/playbooks/playbooks.routes.js';
import { loadConfig } from '../../src/config/config.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const HOOK = `
id: hook
name: Webhook
triggers:
  - { type: webhook, condition: 'event.kind == "page"' }
steps:
  - { id: s, kind: set, vars: { kind: "{{ event.kind }}" } }
`;

describe.each(DIALECTS)('playbook API on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
    // This process is configured with one playbook secret, as `RIPOSTE_SECRET_FW_TOKEN=…` would.
    const { secretVars } = loadConfig({ env: { RIPOSTE_SECRET_FW_TOKEN: 'configured' } });
    api = await buildTestApi(handle.store, [{ name: 'playbooks', plugin: playbookRoutes }], {
      config: { secretVars },
    });
  });
  afterAll(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  it('validates with positions, publishes versions, activates with the publish permission only', async () => {
    const bad = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/validate',
      headers: asRole('viewer'),
      payload: { source: 'id: x\nname: y\nsteps:\n  - {id: a, kind: nope}\n' },
    });
    expect(bad.json()).toMatchObject({ valid: false, problems: [{ line: 4, path: 'steps[0].kind' }] });
    const invalid = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: asRole('playbook_author'),
      payload: { source: 'id: x\n' },
    });
    expect(invalid.statusCode).toBe(400);
    const saved = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: asRole('playbook_author'),
      payload: { source: HOOK },
    });
    expect(saved.json()).toMatchObject({ id: 'hook', version: 1, active: false });
    const denied = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/hook/versions/1/activate',
      headers: asRole('playbook_author'),
    });
    expect(denied.statusCode).toBe(403);
    const active = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/hook/versions/1/activate',
      headers: asRole('approver'),
    });
    expect(active.json()).toMatchObject({ activeVersion: 1 });
    const detail = await api.app.inject({
      method: 'GET',
      url: '/api/v1/playbooks/hook/versions/1',
      headers: asRole('viewer'),
    });
    expect(detail.json()).toMatchObject({ source: HOOK, definition: { id: 'hook' } });
  });

  it('refuses, on validate and on publish, an action no connector declares and input keys an action does not take', async () => {
    const source = [
      'id: wrong-actions',
      'name: Wrong actions',
      'steps:',
      '  - { id: a, kind: action, action: edr.isolate, input: { host: h1 } }',
      '  - { id: b, kind: action, action: cloudflare.block_ip, input: { ip: 203.0.113.7, note: x } }',
      '',
    ].join('\n');
    const checked = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/validate',
      headers: asRole('viewer'),
      payload: { source },
    });
    const problems = JSON.stringify(checked.json());
    expect(checked.json()).toMatchObject({ valid: false });
    expect(problems).toContain('edr.isolate');
    expect(problems).toContain('note');
    const published = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: asRole('playbook_author'),
      payload: { source },
    });
    expect(published.statusCode).toBe(400);
    expect(published.body).toContain('edr.isolate');
  });

  it('refuses, on validate and on publish, secrets this deployment does not have, listing every problem', async () => {
    const source = [
      'id: secret-check',
      'name: Secret check',
      'secrets: [fw_token, edr_key]',
      'steps:',
      '  - { id: a, kind: set, vars: { t: "{{ secrets.fw_token }}", k: "{{ secrets.edr_key }}" } }',
      '  - { id: b, kind: set, vars: { u: "{{ secrets.undeclared }}" } }',
      '  - { id: c, kind: action, action: edr.isolate, input: { host: h1 } }',
      '',
    ].join('\n');
    const checked = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/validate',
      headers: asRole('viewer'),
      payload: { source },
    });
    const { problems } = checked.json<{
      problems: Array<{ path: string; message: string; hint?: string }>;
    }>();
    expect(problems.map((p) => p.message).sort()).toEqual(
      [
        'secret edr_key is not configured',
        '`secrets.undeclared` reads secret undeclared, which the playbook does not declare',
        'no connector provides action edr.isolate',
      ].sort(),
    );
    expect(problems.find((p) => p.message.includes('edr_key'))).toMatchObject({
      path: 'secrets[1]',
      hint: expect.stringContaining('RIPOSTE_SECRET_EDR_KEY') as unknown,
    });
    const refused = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: asRole('playbook_author'),
      payload: { source },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toContain('secret edr_key is not configured');
    expect(refused.body).toContain('undeclared');
    const configured = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: asRole('playbook_author'),
      payload: {
        source: [
          'id: secret-ok',
          'name: Secret ok',
          'secrets: [fw_token]',
          'steps:',
          '  - { id: a, kind: set, vars: { t: "{{ secrets.fw_token }}" } }',
          '',
        ].join('\n'),
      },
    });
    expect(configured.statusCode).toBe(201);
  });

  it('starts a run from a matching webhook only', async () => {
    const miss = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/hook/webhook',
      headers: asRole('responder'),
      payload: { kind: 'other' },
    });
    expect(miss.json()).toEqual({ runId: null });
    const hit = await api.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/hook/webhook',
      headers: asRole('responder'),
      payload: { kind: 'page' },
    });
    expect(hit.statusCode).toBe(202);
    expect(hit.json<{ runId: string }>().runId).toMatch(/-/);
    const health = await api.app.inject({
      method: 'GET',
      url: '/api/v1/playbooks/hook/health',
      headers: asRole('viewer'),
    });
    expect(health.json()).toMatchObject({ playbookId: 'hook', versions: [{ version: 1, runs: 1 }] });
  });

  it('publishes the JSON Schema', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/api/v1/playbooks/schema',
      headers: asRole('viewer'),
    });
    expect(res.json()).toMatchObject({ type: 'object' });
  });
});
