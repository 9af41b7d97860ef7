import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInInBrowser, startConsole, type ConsoleFixture } from './console-fixture.js';

// The ingest sources page: an admin creates a source and sees its credentials once, disables it, rotates its
// token with a grace and deletes it; anyone else has no Sources entry and is told the page is not for them.

const ANALYST = { username: 'sam', password: 'analyst-Passw0rd!' };
const NAME = 'edr-webhook';

interface SourceView {
  name: string;
  enabled: boolean;
  hasToken: boolean;
  hasHmacSecret: boolean;
  previousTokenExpiresAt: number | null;
}

describe('ingest sources in a real browser', () => {
  let fx: ConsoleFixture;
  let page: Page;
  let baseUrl: string;

  const nav = () => page.getByRole('navigation', { name: 'Sections' });
  const row = () => page.getByTestId(`source-${NAME}`);
  const listed = async () =>
    (await fx.api.call<{ sources: SourceView[] }>('GET', '/sources')).sources.find((s) => s.name === NAME);

  beforeAll(async () => {
    fx = await startConsole();
    ({ page, baseUrl } = fx);
    await fx.api.call('POST', '/users', { ...ANALYST, roles: ['analyst'] });
    await signInInBrowser(page, baseUrl);
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('creates a source with an HMAC secret and shows its credentials once', async () => {
    await nav().getByRole('link', { name: 'Sources' }).click();
    await page.waitForURL(`${baseUrl}/sources`);
    await page.getByRole('heading', { name: 'Ingest sources' }).waitFor();
    const form = page.getByRole('form', { name: 'New source' });
    await form.getByLabel('Name').fill(NAME);
    await form.getByLabel('Description').fill('EDR alerts, signed');
    await form.getByLabel('Mapper').selectOption('crowdstrike');
    await form.getByLabel('HMAC secret').check();
    await form.getByRole('button', { name: 'Create source' }).click();

    const box = page.getByTestId('new-credentials');
    await box.waitFor();
    const text = await box.innerText();
    expect(text).toContain('will not be shown again');
    expect(text).toContain(`${baseUrl}/api/v1/sources/${NAME}/webhook`);
    const token = await box.getByTestId('new-token').innerText();
    const secret = await box.getByTestId('new-hmac-secret').innerText();
    expect(token.length).toBeGreaterThan(16);
    expect(secret.length).toBeGreaterThan(16);
    await expect.poll(() => row().innerText()).toContain('crowdstrike');
    const source = await listed();
    expect(source).toMatchObject({ enabled: true, hasToken: true, hasHmacSecret: true });

    await page.reload();
    await row().waitFor();
    expect(await page.getByTestId('new-credentials').count()).toBe(0);
    const body = await page.locator('body').innerText();
    expect(body).not.toContain(token);
    expect(body).not.toContain(secret);
  });

  it('disables the source', async () => {
    await row().getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => row().getByTestId('source-enabled').innerText()).toBe('disabled');
    expect((await listed())?.enabled).toBe(false);
    await row().getByRole('button', { name: 'Enable' }).waitFor();
  });

  it('rotates the token, keeping the old one valid for 24 hours', async () => {
    await row().getByLabel('Keep the old one valid for').selectOption({ label: '24 h' });
    const before = Date.now();
    await row().getByRole('button', { name: 'Rotate token' }).click();
    const box = page.getByTestId('new-credentials');
    await box.getByTestId('new-token').waitFor();
    expect(await box.getByTestId('new-hmac-secret').count()).toBe(0);
    await expect
      .poll(() => row().getByTestId('source-credentials').innerText())
      .toContain('previous valid until');
    const until = (await listed())?.previousTokenExpiresAt ?? 0;
    expect(until).toBeGreaterThanOrEqual(before + 24 * 3600_000 - 60_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 24 * 3600_000 + 60_000);
    await box.getByRole('button', { name: 'I have copied them' }).click();
    expect(await page.getByTestId('new-credentials').count()).toBe(0);
  });

  it('deletes the source after a confirmation', async () => {
    await row().getByRole('button', { name: 'Delete', exact: true }).click();
    expect(await listed()).toBeDefined();
    await row()
      .getByRole('button', { name: `Delete ${NAME}` })
      .click();
    await row().waitFor({ state: 'detached' });
    expect(await listed()).toBeUndefined();
  });

  it("shows an API refusal as the problem's message", async () => {
    await fx.api.call('POST', '/sources', { name: 'taken' });
    const form = page.getByRole('form', { name: 'New source' });
    await form.getByLabel('Name').fill('taken');
    await form.getByRole('button', { name: 'Create source' }).click();
    await expect
      .poll(() => form.getByRole('alert').innerText())
      .toContain('a source named taken already exists');
    expect(await page.getByTestId('new-credentials').count()).toBe(0);
  });

  it('gives an analyst no Sources entry, and the page says it is not allowed', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await signInInBrowser(page, baseUrl, ANALYST);
    await nav().getByRole('link', { name: 'Alerts' }).waitFor();
    expect(await nav().getByRole('link', { name: 'Sources' }).count()).toBe(0);
    await page.goto(`${baseUrl}/sources`);
    await page.getByTestId('signed-in-user').waitFor();
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('not allowed');
    expect(await page.getByRole('form', { name: 'New source' }).count()).toBe(0);
  });
});
