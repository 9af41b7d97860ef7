import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionExecutor, ActionRequest } from '../../src/connectors/action-executor.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings } from '../../src/worker/runs/run-queue.js';
import { drainQueues } from '../engine/run-driver.js';
import { signInInBrowser, startConsole, type ConsoleFixture } from './console-fixture.js';

const playbook = (name: string) => `
id: isolate
name: ${name}
inputs:
  host: { type: string, required: true }
steps:
  - { id: ask, kind: approval, message: "Isolate {{ inputs.host }}?", approvers: [approver], deadline: 1h }
  - { id: isolate, kind: action, action: crowdstrike.contain_host, input: { hostname: "{{ inputs.host }}" } }
`;

const APPROVER = { username: 'ana', password: 'approver-Passw0rd!' };

describe('playbooks, runs and approvals in a real browser', () => {
  let fx: ConsoleFixture;
  let page: Page;
  let runId: string;
  const listDir = mkdtempSync(join(tmpdir(), 'riposte-web-list-'));
  const executed: ActionRequest[] = [];
  const actions: ActionExecutor = {
    describe: () => undefined,
    async execute(request) {
      executed.push(request);
      return { output: { isolated: true } };
    },
  };
  // The served process runs no workers (role api), so the test works the run queue in-process.
  const drain = () =>
    drainQueues(
      fx.runtime.ctx,
      createRunQueueBindings(fx.runtime.ctx, { actions, cases: createRecordingCaseOperations() }),
    );

  beforeAll(async () => {
    fx = await startConsole();
    page = fx.page;
    await fx.api.call('POST', '/playbooks', { source: playbook('Isolate host'), activate: true });
    await fx.api.call('POST', '/playbooks', { source: playbook('Isolate host (v2)') });
    await fx.api.call('POST', '/users', { ...APPROVER, roles: ['approver'] });
    ({ runId } = await fx.api.call<{ runId: string }>('POST', '/playbooks/isolate/runs', {
      inputs: { host: 'web-01' },
    }));
    await drain();
    // Someone other than the requester decides: separation of duties.
    await signInInBrowser(page, fx.baseUrl, APPROVER);
  });

  afterAll(async () => {
    await fx?.stop();
    rmSync(listDir, { recursive: true, force: true });
  });

  it('approves the pending request with a comment, and the run goes on', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Approvals' }).click();
    const card = page.getByRole('listitem').filter({ hasText: 'Isolate web-01?' });
    await card.getByRole('link', { name: 'isolate' }).waitFor();
    expect(executed).toHaveLength(0);
    await card.getByLabel('Comment').fill('host owner agreed');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('No pending approvals.').waitFor();
    await page.getByLabel('Status').selectOption('approved');
    await page.getByRole('listitem').filter({ hasText: 'Isolate web-01?' }).waitFor();

    await drain();
    expect(executed.map((r) => r.action)).toEqual(['crowdstrike.contain_host']);
  });

  it('shows the finished run with its steps', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('link', { name: runId.slice(-12) }).click();
    await page.waitForURL(`${fx.baseUrl}/runs/${runId}`);
    // Action steps keep their attempts; the approval shows in the run's events.
    await page.getByRole('row', { name: /crowdstrike\.contain_host.*action.*succeeded/ }).waitFor();
    await page
      .getByRole('listitem')
      .filter({ hasText: /step\.succeeded\s*ask/ })
      .waitFor();
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
  });

  it('shows why a cancel is refused, and takes it from someone allowed to', async () => {
    const second = await fx.api.call<{ runId: string }>('POST', '/playbooks/isolate/runs', {
      inputs: { host: 'web-02' },
    });
    await page.goto(`${fx.baseUrl}/runs/${second.runId}`);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    // An approver may not control runs: the server's problem is shown as it is.
    await page.getByRole('alert').filter({ hasText: 'RIPOSTE_FORBIDDEN' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInInBrowser(page, fx.baseUrl);
    await page.goto(`${fx.baseUrl}/runs/${second.runId}`);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('status').filter({ hasText: 'cancel requested' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('lists playbooks with their active version and activates another', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Playbooks' }).click();
    const row = page.getByRole('row', { name: /Isolate host/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/v1.*v2/);
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'Version 1 source' }).waitFor();
    await page.getByText('kind: approval').first().waitFor();
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('row', { name: /v2.*active/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Activate' }).count()).toBe(1);
  });

  it('lists connector instances without credentials and checks one', async () => {
    const path = join(listDir, 'blocklist.csv');
    writeFileSync(path, 'value\n198.51.100.7\nevil.example\n');
    await fx.api.call('POST', '/connectors', {
      name: 'blocklist-local',
      connector: 'locallist',
      config: { path },
    });
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Connectors' })
      .click();
    const row = page.getByRole('row', { name: /blocklist-local/ });
    await row.getByRole('button', { name: 'Test' }).click();
    await row
      .getByRole('status')
      .filter({ hasText: /^OK: .*2 entries/ })
      .waitFor();
    await page.getByRole('heading', { name: 'Available connectors' }).waitFor();
    await page
      .getByRole('row', { name: /locallist/ })
      .first()
      .waitFor();
  });

  it('shows containments in force with the protected assets', async () => {
    await fx.api.call('POST', '/protected-assets', {
      kind: 'ip',
      value: '10.0.0.53',
      reason: 'DNS resolver',
    });
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Containments' })
      .click();
    await page.getByText('No active containments.').waitFor();
    await page
      .getByRole('listitem')
      .filter({ hasText: '10.0.0.53' })
      .filter({ hasText: 'DNS resolver' })
      .waitFor();
    await page.getByText('None: automation may contain.').waitFor();
  });
});
