import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInInBrowser, startConsole, type ConsoleFixture } from './console-fixture.js';
import { suricataAlert } from './riposte-session.js';

// Why an alert is in its case, in the browser: the alert page from the list and from the case, the case's
// alerts panel, the alerts list's case column and filters, merged cases, and pages that used to go blank.

const SIGNATURE = 'ET TROJAN Riposte alert page beacon';
/** Past 2^53: JSON.parse would show 1539072613142662100. */
const FLOW_ID = '1539072613142662123';
const LONG_URL = `https://files.example.net/download?token=${'a'.repeat(2000)}`;

interface IngestAnswer {
  items: Array<{ alertId?: string; caseId?: string | null }>;
}

describe('alerts and their grouping in a real browser', () => {
  let fx: ConsoleFixture;
  let page: Page;
  let baseUrl: string;
  /** Alert ids by name, and case ids and numbers by name. */
  const alert: Record<string, string> = {};
  const kase = {} as Record<'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g', { id: string; number: number }>;

  const ingest = async (source: string, body: unknown): Promise<IngestAnswer> =>
    fx.api.call<IngestAnswer>('POST', `/alerts?source=${source}`, body);
  const caseOf = async (id: string) => ({
    id,
    number: (await fx.api.call<{ number: number }>('GET', `/cases/${id}`)).number,
  });
  const newCase = async (title: string) =>
    caseOf((await fx.api.call<{ id: string }>('POST', '/cases', { title, severity: 'medium' })).id);
  const decision = () => page.getByTestId('grouping-decision');
  const goto = async (path: string) => {
    await page.goto(`${baseUrl}${path}`);
    await page.getByTestId('signed-in-user').waitFor();
  };

  beforeAll(async () => {
    fx = await startConsole();
    ({ page, baseUrl } = fx);
    const eve = { ...suricataAlert(SIGNATURE, new Date()), src_ip: '10.1.2.3', dest_ip: '45.35.1.97' };
    // Sent as text, so the flow id reaches the server with all its digits.
    const first = await fx.api.send<IngestAnswer>(
      'POST',
      '/alerts?source=suricata-dmz',
      JSON.stringify(eve).replace('"flow_id":1539072613142662', `"flow_id":${FLOW_ID}`),
    );
    alert.opened = first.items[0]?.alertId ?? '';
    kase.a = await caseOf(first.items[0]?.caseId ?? '');

    const c2 = {
      title: 'Outbound to known C2',
      severity: 'high',
      src_ip: '10.9.9.9',
      dst_ip: '45.35.1.97',
      mitre: ['T1071.001'],
    };
    const shared = await ingest('edr', c2);
    alert.shared = shared.items[0]?.alertId ?? '';
    expect(shared.items[0]?.caseId).toBe(kase.a.id);
    await ingest('edr', c2); // a repeat: counted on the alert, not stored again

    const sameRule = await ingest('suricata-dmz', {
      ...suricataAlert(`${SIGNATURE} (second sensor)`, new Date()),
      flow_id: 77,
      src_ip: '10.1.2.4',
      dest_ip: '198.51.100.7',
    });
    alert.sameRule = sameRule.items[0]?.alertId ?? '';
    expect(sameRule.items[0]?.caseId).toBe(kase.a.id);

    kase.b = await newCase('Where alerts are moved');
    const moved = await ingest('edr', { title: 'Move me', src_ip: '45.60.1.1' });
    alert.moved = moved.items[0]?.alertId ?? '';
    kase.c = await caseOf(moved.items[0]?.caseId ?? '');
    await fx.api.call('POST', `/cases/${kase.b.id}/alerts`, { alertId: alert.moved });

    const merged = await ingest('edr', { title: 'Merge me', src_ip: '45.60.2.2' });
    alert.merged = merged.items[0]?.alertId ?? '';
    kase.d = await caseOf(merged.items[0]?.caseId ?? '');
    await fx.api.call('POST', `/cases/${kase.b.id}/merge`, { mergedId: kase.d.id });

    const loop = await ingest('edr', [
      { title: 'Talks to itself', src_ip: '45.61.1.1', dst_ip: '45.61.1.1' },
      { title: 'Talks to it too', src_ip: '45.61.1.1' },
    ]);
    kase.e = await caseOf(loop.items[0]?.caseId ?? '');
    await fx.api.call('POST', `/cases/${kase.b.id}/alerts`, { alertId: loop.items[1]?.alertId });

    const spray = await ingest(
      'spray',
      Array.from({ length: 503 }, (_, i) => ({ title: `Password spray ${i}`, src_ip: '45.62.1.1' })),
    );
    kase.f = await caseOf(spray.items[0]?.caseId ?? '');

    const closed = await ingest('closing', { title: 'Closed as benign', src_ip: '45.63.1.1' });
    kase.g = await caseOf(closed.items[0]?.caseId ?? '');
    await fx.api.call('POST', `/cases/${kase.g.id}/transitions`, { to: 'triage' });
    await fx.api.call('POST', `/cases/${kase.g.id}/transitions`, { to: 'closed', resolution: 'benign' });

    await ingest('long', { title: 'Download from a long link', url: LONG_URL });
    await signInInBrowser(page, baseUrl);
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('opens an alert from the list: what it is, why it opened its case, its raw event as sent', async () => {
    await goto('/alerts?source=suricata-dmz');
    await page.getByRole('link', { name: SIGNATURE, exact: true }).click();
    await page.waitForURL(`${baseUrl}/alerts/${alert.opened}`);
    await page.getByRole('heading', { name: SIGNATURE, exact: true }).waitFor();
    // Upper-cased by the style sheet.
    const facts = (await page.getByTestId('alert-facts').innerText()).toLowerCase();
    for (const fact of ['suricata-dmz', 'Suricata · OISF', `1:2100498: ${SIGNATURE}`, 'Event time', 'once'])
      expect(facts).toContain(fact.toLowerCase());
    await expect.poll(() => decision().innerText()).toBe(`Opened case #${kase.a.number}.`);
    const row = page.getByRole('row').filter({ hasText: '45.35.1.97' });
    expect(await row.innerText()).toMatch(/^IPv4\s+45\.35\.1\.97 public\s+destination$/);
    // The raw event as the server stored it: all 19 digits of the flow id.
    expect(await page.getByTestId('raw-event').innerText()).toContain(`"flow_id":${FLOW_ID}`);
    await page.getByRole('button', { name: 'Indent' }).click();
    expect(await page.getByTestId('raw-event').innerText()).toContain(`"flow_id": ${FLOW_ID},\n`);
    await page.screenshot({ path: '/tmp/riposte-alert-detail.png', fullPage: true });
    await decision()
      .getByRole('link', { name: `#${kase.a.number}` })
      .click();
    await page.waitForURL(`${baseUrl}/cases/${kase.a.id}`);
  });

  it('says which observable or rule an alert joined its case by, in what window; its repeats', async () => {
    await goto(`/alerts/${alert.shared}`);
    await expect
      .poll(() => decision().innerText())
      .toBe(`Joined case #${kase.a.number}: shares IPv4 45.35.1.97 with it (within 24 h).`);
    expect(await page.getByTestId('alert-facts').innerText()).toContain('2 times');
    await page.getByRole('link', { name: 'T1071.001' }).waitFor();

    await goto(`/alerts/${alert.sameRule}`);
    await expect
      .poll(() => decision().innerText())
      .toBe(`Joined case #${kase.a.number}: same rule 1:2100498 (within 24 h).`);
  });

  it('says where an alert went after ingest: moved by hand, or with its merged case', async () => {
    await goto(`/alerts/${alert.moved}`);
    await expect
      .poll(() => decision().innerText())
      .toBe(`Opened case #${kase.c.number}. Since moved to case #${kase.b.number}.`);
    await goto(`/alerts/${alert.merged}`);
    await expect
      .poll(() => decision().innerText())
      .toBe(
        `Opened case #${kase.d.number}. Its case #${kase.d.number} was since merged into #${kase.b.number}.`,
      );
    await decision()
      .getByRole('link', { name: `#${kase.b.number}` })
      .click();
    await page.waitForURL(`${baseUrl}/cases/${kase.b.id}`);
  });

  it('lists a case’s alerts with why each joined, its repeats and a link to it', async () => {
    await goto(`/cases/${kase.a.id}`);
    const panel = page.getByTestId('case-alerts');
    const item = (title: string) =>
      panel.getByRole('listitem').filter({ has: page.getByRole('link', { name: title, exact: true }) });
    await expect.poll(() => item(SIGNATURE).innerText()).toContain('opened the case');
    expect(await item('Outbound to known C2').innerText()).toMatch(/×2[\s\S]*shares IPv4 45\.35\.1\.97/);
    expect(await item(`${SIGNATURE} (second sensor)`).innerText()).toContain('same rule');
    await page.screenshot({ path: '/tmp/riposte-case-alerts.png', fullPage: true });
    await item('Outbound to known C2').getByRole('link', { name: 'Outbound to known C2' }).click();
    await page.waitForURL(`${baseUrl}/alerts/${alert.shared}`);
  });

  it('names each alert a batch added on the case timeline, with why it joined', async () => {
    await goto(`/cases/${kase.a.id}`);
    const entry = page
      .getByTestId('timeline')
      .getByRole('listitem')
      .filter({ hasText: 'Outbound to known C2' });
    await expect
      .poll(() => entry.first().innerText())
      .toMatch(/added 1 alert[\s\S]*Outbound to known C2 — shares ipv4 45\.35\.1\.97/);
    await entry.first().getByRole('link', { name: 'Outbound to known C2' }).click();
    await page.waitForURL(`${baseUrl}/alerts/${alert.shared}`);

    // A big batch lists five, and the rest on request.
    await goto(`/cases/${kase.f.id}`);
    const batch = page
      .getByTestId('timeline')
      .getByRole('listitem')
      .filter({ hasText: /added \d{3} alerts/ });
    const head = (await batch.first().innerText()).match(/added (\d+) alerts/);
    const size = Number(head?.[1]);
    expect(await batch.first().getByRole('link').count()).toBe(5);
    await batch
      .first()
      .getByRole('button', { name: `and ${size - 5} more` })
      .click();
    expect(await batch.first().getByRole('link').count()).toBe(size);
  });

  it('says when a case holds more alerts than it lists, and links to them all', async () => {
    await goto(`/cases/${kase.f.id}`);
    const capped = page.getByTestId('case-alerts-capped');
    await expect.poll(() => capped.innerText()).toBe('Showing 500 of 503 — view all');
    await capped.getByRole('link', { name: 'view all' }).click();
    await page.waitForURL(`${baseUrl}/alerts?caseId=${kase.f.id}`);
    expect(await page.getByLabel('Case id').inputValue()).toBe(kase.f.id);
    await page.getByText(`Alerts of case #${kase.f.number} only.`).waitFor();
    await page.getByRole('link', { name: 'Password spray 502' }).waitFor();
    expect(await page.getByText('Talks to itself').count()).toBe(0);
  });

  it('shows the case number and status of each alert, and labels the order', async () => {
    await goto('/alerts?source=closing');
    const cell = page.getByTestId('alert-case').first();
    await expect.poll(() => cell.innerText()).toBe(`#${kase.g.number} closed`);
    await page.getByRole('columnheader', { name: 'Received ↓' }).waitFor();
    await page.getByRole('columnheader', { name: 'Event time' }).waitFor();
    await page.getByLabel('Case id').fill(kase.e.id);
    await page.getByLabel('Source').fill('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(`${baseUrl}/alerts?caseId=${kase.e.id}`);
    await page.getByRole('link', { name: 'Talks to itself' }).click();
    await page.waitForURL(`${baseUrl}/alerts/**`);
  });

  it('shows the cases of a page of alerts from the list’s one answer, not a request per case', async () => {
    const asked: string[] = [];
    const onRequest = (request: Request) => {
      const { pathname } = new URL(request.url());
      if (/^\/api\/v1\/(alerts|cases)\b/.test(pathname)) asked.push(pathname);
    };
    page.on('request', onRequest);
    try {
      // EDR's alerts are in three cases: the C2 alert in a, two moved and one merged into b, one in e.
      await goto('/alerts?source=edr');
      const cells = page.getByTestId('alert-case');
      const numbers = [kase.a, kase.b, kase.e].map((k) => `#${k.number}`).sort();
      await expect
        .poll(async () => [...new Set((await cells.allInnerTexts()).map((t) => t.split(' ')[0]))].sort())
        .toEqual(numbers);
      expect(await cells.allInnerTexts()).toEqual(Array(5).fill(expect.stringMatching(/^#\d+ New$/i)));
      expect(asked).toEqual(['/api/v1/alerts']);

      // One alert's page: the alert carries its case; only a case it has since left is read.
      asked.length = 0;
      await goto(`/alerts/${alert.shared}`);
      await expect.poll(() => decision().innerText()).toContain(`Joined case #${kase.a.number}`);
      expect(asked).toEqual([`/api/v1/alerts/${alert.shared}`]);
      asked.length = 0;
      await goto(`/alerts/${alert.merged}`);
      await expect.poll(() => decision().innerText()).toContain(`merged into #${kase.b.number}`);
      expect(asked).toEqual([`/api/v1/alerts/${alert.merged}`, `/api/v1/cases/${kase.d.id}`]);
    } finally {
      page.off('request', onRequest);
    }
  });

  it('keeps a time filter in the URL as an instant, and shows it in local time', async () => {
    const context = await fx.browser.newContext({ timezoneId: 'Asia/Kolkata' });
    try {
      const india = await context.newPage();
      india.setDefaultTimeout(10_000);
      await signInInBrowser(india, baseUrl);
      await india.goto(`${baseUrl}/alerts`);
      await india.getByLabel('Event time from').fill('2024-05-01T10:00');
      await india.getByRole('button', { name: 'Apply' }).click();
      // 10:00 in India (UTC+5:30).
      await india.waitForURL(`${baseUrl}/alerts?from=${encodeURIComponent('2024-05-01T04:30:00.000Z')}`);
      expect(await india.getByLabel('Event time from').inputValue()).toBe('2024-05-01T10:00');
      // The same link in another zone shows that zone's wall time for the same instant.
      await goto(`/alerts?from=${encodeURIComponent('2024-05-01T04:30:00.000Z')}`);
      const here = await page.evaluate(() => {
        const d = new Date('2024-05-01T04:30:00.000Z');
        const p = (n: number) => String(n).padStart(2, '0');
        const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
        return `${day}T${p(d.getHours())}:${p(d.getMinutes())}`;
      });
      expect(await page.getByLabel('Event time from').inputValue()).toBe(here);
    } finally {
      await context.close();
    }
  });

  it('shows a severity from the URL that is no option as it is, beside the server’s refusal', async () => {
    await goto('/alerts?severity=bogus');
    await page.getByRole('alert').filter({ hasText: 'severity' }).waitFor();
    const select = page.getByLabel('Severity');
    expect(await select.inputValue()).toBe('bogus');
    expect(await select.locator('option:checked').innerText()).toBe('“bogus” (not a severity)');
    await goto('/alerts?severity=low,medium');
    expect(await page.getByLabel('Severity').locator('option:checked').innerText()).toBe('low, medium');
  });

  it('shows a bad time in a link as a problem, not a blank page', async () => {
    await goto('/alerts?from=abc');
    await page.getByRole('alert').filter({ hasText: 'from' }).waitFor();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    expect(await page.getByLabel('Event time from').inputValue()).toBe('');
  });

  it('shows a page that fails to render as a message, and the next page normally', async () => {
    await page.route('**/api/v1/alerts?*', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: '{"alerts":null}' }),
    );
    try {
      await goto('/alerts');
      await page.getByTestId('page-error').getByText('This page could not be shown.').waitFor();
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Cases' }).click();
      await page.getByRole('heading', { name: 'Cases' }).waitFor();
      expect(await page.getByTestId('page-error').count()).toBe(0);
    } finally {
      await page.unroute('**/api/v1/alerts?*');
    }
  });

  it('keeps a 2,000-character observable from widening the alerts table', async () => {
    await goto('/alerts?source=long');
    const chip = page.locator('.observable', { hasText: 'https://files.example.net' });
    await chip.waitFor();
    expect(await chip.getAttribute('title')).toContain(LONG_URL);
    // A string: this file is compiled without the DOM's types.
    const widths = await page.evaluate<{ table: number; page: number; window: number }>(`({
      table: document.querySelector('table.grid').scrollWidth,
      page: document.documentElement.scrollWidth,
      window: window.innerWidth,
    })`);
    expect(widths.table).toBeLessThan(widths.window);
    expect(widths.page).toBeLessThanOrEqual(widths.window);
    await page.screenshot({ path: '/tmp/riposte-alerts-list.png', fullPage: true });
  });

  it('counts an observable’s alerts once each, and says which of them are this case’s', async () => {
    await goto(`/cases/${kase.e.id}`);
    const row = page.getByRole('row').filter({ hasText: '45.61.1.1' });
    // One alert of this case has it as source and destination; the other was moved to another case.
    await expect
      .poll(() => row.getByTestId('sightings').innerText())
      .toMatch(/^1 alert here \(2 in all cases\)/);
  });

  it('shows where a merged case went, and what the merge brought to the surviving case', async () => {
    await goto(`/cases/${kase.d.id}`);
    const notice = page.getByTestId('merged-into');
    await expect.poll(() => notice.innerText()).toMatch(new RegExp(`^Merged into #${kase.b.number}:`));
    await page
      .getByRole('region', { name: 'Alerts' })
      .getByText(`No alerts. This case was merged into #${kase.b.number}`)
      .waitFor();
    // The panels fit the page: long sightings wrap instead of widening it.
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(
      true,
    );
    await page.screenshot({ path: '/tmp/riposte-merged-case.png', fullPage: true });
    await notice.getByRole('link', { name: `#${kase.b.number}` }).click();
    await page.waitForURL(`${baseUrl}/cases/${kase.b.id}`);
    await page
      .getByTestId('timeline')
      .getByText(`merged case #${kase.d.number} into this one (1 alert and 1 observable moved here)`)
      .waitFor();
  });
});
