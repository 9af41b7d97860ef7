import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startConsole, type ConsoleFixture } from './console-fixture.js';
import { suricataAlert } from './riposte-session.js';

const SIGNATURE = 'ET TROJAN Riposte console test beacon';
const SCREENSHOT = '/tmp/riposte-console-case.png';

interface IngestAnswer {
  accepted: number;
  items: Array<{ caseId?: string | null }>;
}

describe('web console in a real browser', () => {
  let fx: ConsoleFixture;
  let page: Page;
  let baseUrl: string;
  let caseId: string;
  let caseTitle: string;

  beforeAll(async () => {
    fx = await startConsole();
    ({ page, baseUrl } = fx);
    const answer = await fx.api.call<IngestAnswer>(
      'POST',
      '/alerts?source=suricata-dmz',
      suricataAlert(SIGNATURE, new Date()),
    );
    expect(answer.accepted).toBe(1);
    caseId = answer.items[0]?.caseId ?? '';
    expect(caseId).not.toBe('');
    caseTitle = (await fx.api.call<{ title: string }>('GET', `/cases/${caseId}`)).title;
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('sends a visitor to sign in, and shows the server problem for a wrong password', async () => {
    await page.goto(`${baseUrl}/cases`);
    await page.waitForURL(/\/login\?next=%2Fcases/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const problem = page.getByRole('alert');
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/RIPOSTE_/);
  });

  it('signs in and lists the case the ingested alert opened', async () => {
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${baseUrl}/cases`);
    expect(await page.getByTestId('signed-in-user').textContent()).toContain('admin');
    await page.getByRole('link', { name: caseTitle }).waitFor();
    // Sections whose API exists are in the navigation; the others are left out, not faked.
    const nav = page.getByRole('navigation', { name: 'Sections' });
    await nav.getByRole('link', { name: 'Alerts' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Cases' }).getAttribute('aria-current')).toBe('page');
  });

  it('filters the case list and finds nothing for a status the case is not in', async () => {
    await page.getByLabel('Status').selectOption('closed');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/status=closed/);
    await page.getByText('No cases match these filters.').waitFor();
    await page.goBack();
    await page.getByRole('link', { name: caseTitle }).waitFor();
  });

  it('opens the case, moves it to triage and comments; the timeline follows', async () => {
    await page.getByRole('link', { name: caseTitle }).click();
    await page.waitForURL(`${baseUrl}/cases/${caseId}`);
    const status = page.getByTestId('case-status');
    await expect.poll(() => status.textContent()).toBe('new');
    await page.getByText('Live').waitFor();

    await page.getByRole('button', { name: 'triage', exact: true }).click();
    await expect.poll(() => status.textContent()).toBe('triage');
    const timeline = page.getByTestId('timeline');
    await timeline.getByText('moved the case from new to triage').waitFor();

    await page
      .getByLabel('Add a comment (Markdown)')
      .fill('**Isolated** host `10.20.30.40`\n<img src=x onerror="window.pwned=1">');
    await page.getByRole('button', { name: 'Comment' }).click();
    await timeline.locator('strong', { hasText: 'Isolated' }).waitFor();
    await timeline.locator('code', { hasText: '10.20.30.40' }).waitFor();
    // User text is shown, never parsed as HTML.
    await timeline.getByText('<img src=x onerror="window.pwned=1">').waitFor();
    expect(await timeline.locator('img').count()).toBe(0);
  });

  it('shows a change someone else makes while the case is open (live stream)', async () => {
    await fx.api.call('POST', `/cases/${caseId}/comments`, { body: 'Escalated to the *network* team' });
    await page.getByTestId('timeline').locator('em', { hasText: 'network' }).waitFor();
    await fx.api.call('PATCH', `/cases/${caseId}`, { assignee: 'alice' });
    await page.getByTestId('timeline').getByText('changed assignee to alice').waitFor();
    await expect.poll(() => page.getByLabel('Assignee').inputValue()).toBe('alice');
  });

  it('shows the alerts a batch adds to the open case as one timeline entry', async () => {
    const timeline = page.getByTestId('timeline');
    await timeline.getByText(/added 1 alert\b/).waitFor();
    const more = [41, 42].map((n) => ({
      ...suricataAlert(SIGNATURE, new Date()),
      flow_id: n,
      src_ip: `10.20.30.${n}`,
    }));
    const answer = await fx.api.call<IngestAnswer>('POST', '/alerts?source=suricata-dmz', more);
    expect(answer.items.map((i) => i.caseId)).toEqual([caseId, caseId]);
    const batch = timeline.getByRole('listitem').filter({ hasText: 'added 2 alerts' });
    await batch
      .getByText(/same rule as an open case's alert/)
      .first()
      .waitFor();
  });

  it('ticks a task, sets a verdict and uploads evidence from the case page', async () => {
    const timeline = page.getByTestId('timeline');
    await fx.api.call('POST', `/cases/${caseId}/tasks`, { title: 'Collect the EDR triage package' });
    const task = page.getByRole('checkbox', { name: 'Collect the EDR triage package' });
    await task.check();
    await timeline.getByText('updated task Collect the EDR triage package: done').waitFor();
    expect(await task.isChecked()).toBe(true);

    await page.getByLabel('Verdict for 203.0.113.66').selectOption('malicious');
    await timeline.getByText('marked 203.0.113.66 malicious').waitFor();

    await page.getByLabel('Evidence file').setInputFiles({
      name: 'beacon.pcap',
      mimeType: 'application/vnd.tcpdump.pcap',
      buffer: Buffer.from('not really a pcap'),
    });
    await page.getByLabel('Description').fill('capture of the beacon');
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('link', { name: 'beacon.pcap' }).waitFor();
    await timeline.getByText('added evidence beacon.pcap').waitFor();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('shows the alert in the alert list and the response metrics', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByText(SIGNATURE).first().waitFor();
    await page.getByLabel('Severity').selectOption('info');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No alerts match these filters.').waitFor();

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Metrics' }).click();
    await page.getByText('MTTA').waitFor();
    await page.getByRole('img', { name: /high: 1|critical: 1|medium: 1|low: 1|info: 1/ }).waitFor();
  });

  it('closes the case with a resolution, and can reopen it', async () => {
    await page.goto(`${baseUrl}/cases/${caseId}`);
    const close = page.getByRole('button', { name: 'Close case' });
    // Closing from triage needs a resolution first.
    expect(await close.isDisabled()).toBe(true);
    await page.getByLabel('Resolution').selectOption('false_positive');
    await close.click();
    await expect.poll(() => page.getByTestId('case-status').textContent()).toBe('closed');
    await page
      .getByTestId('timeline')
      .getByText('moved the case from triage to closed (false positive)')
      .waitFor();
    await page.getByRole('button', { name: 'triage', exact: true }).waitFor();
  });

  it('signs out and needs a sign-in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.goto(`${baseUrl}/cases/${caseId}`);
    await page.waitForURL(/\/login\?next=/);
  });
});
