import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config/config.js';
import { startRiposte, type Runtime } from '../../src/main.js';
import { signInOverHttp, type HttpSession } from './riposte-session.js';
import { ensureWebBuilt } from './web-build.js';

export const ADMIN_PASSWORD = 'console-test-Passw0rd!';

export interface ConsoleFixture {
  baseUrl: string;
  runtime: Runtime;
  /** The admin's HTTP session, for seeding data through the real API. */
  api: HttpSession;
  browser: Browser;
  page: Page;
  stop(): Promise<void>;
}

/**
 * A real Riposte API (temporary SQLite, the built UI) on 127.0.0.1:<free port>, and Debian's Chromium driven
 * by playwright-core. It runs no workers: a test that needs runs to move works the queues in-process with the
 * executor it chooses (see automation.test.ts), so what the browser shows never races a worker. The first start creates `admin` with ADMIN_PASSWORD (RIPOSTE_ADMIN_PASSWORD).
 */
export async function startConsole(): Promise<ConsoleFixture> {
  ensureWebBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'riposte-web-'));
  const previous = process.env.RIPOSTE_ADMIN_PASSWORD;
  process.env.RIPOSTE_ADMIN_PASSWORD = ADMIN_PASSWORD;
  let runtime: Runtime;
  try {
    runtime = await startRiposte(
      loadConfig({
        env: {},
        overrides: { host: '127.0.0.1', port: 0, dataDir, role: 'api', logLevel: 'silent' },
      }),
    );
  } finally {
    if (previous === undefined) delete process.env.RIPOSTE_ADMIN_PASSWORD;
    else process.env.RIPOSTE_ADMIN_PASSWORD = previous;
  }
  const baseUrl = runtime.url ?? '';
  const api = await signInOverHttp(baseUrl, 'admin', ADMIN_PASSWORD);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // Fail with Playwright's account of what it waited for, well before the test's own timeout.
  page.setDefaultTimeout(10_000);
  return {
    baseUrl,
    runtime,
    api,
    browser,
    page,
    async stop() {
      await browser.close();
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in through the login page and waits for the console. */
export async function signInInBrowser(
  page: Page,
  baseUrl: string,
  credentials = { username: 'admin', password: ADMIN_PASSWORD },
): Promise<void> {
  const { username, password } = credentials;
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-user').waitFor();
}
