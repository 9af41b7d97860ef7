import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGovernance } from '../../src/app/identity/governance-start.js';
import { login } from '../../src/app/identity/sessions.service.js';
import { latestCheckpoint } from '../../src/store/audit/audit-checkpoint.repository.js';
import { createTestContext } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

describe.each(DIALECTS)('first start on %s', (dialect) => {
  let handle: TestStoreHandle;
  let dataDir: string;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'riposte-start-'));
  });
  afterEach(async () => {
    await handle.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints a one-time admin password once, and signs a checkpoint', async () => {
    const ctx = createTestContext(handle.store, { config: { dataDir } });
    const printed: string[] = [];
    await startGovernance(ctx, { print: (t) => printed.push(t) });
    await startGovernance(ctx, { print: (t) => printed.push(t) });
    expect(printed).toHaveLength(1);
    const password = /one-time password\n\n {4}(\S+)\n/.exec(printed[0] ?? '')?.[1] ?? '';
    expect((await login(ctx, { username: 'admin', password })).user.mustChangePassword).toBe(true);
    expect(ctx.logs.join('')).not.toContain(password);
    await startGovernance(ctx, {});
    expect((await latestCheckpoint(handle.store.db))?.seq).toBeGreaterThan(0);
  });

  it('takes the admin password from the environment without printing it', async () => {
    const ctx = createTestContext(handle.store, { config: { dataDir } });
    const printed: string[] = [];
    await startGovernance(ctx, { adminPassword: 'from the environment 1', print: (t) => printed.push(t) });
    expect(printed).toEqual([]);
    const signedIn = await login(ctx, { username: 'admin', password: 'from the environment 1' });
    expect(signedIn.user).toMatchObject({ roles: ['admin'], mustChangePassword: false });
  });

  it('creates one admin when several processes start at once', async () => {
    const contexts = [1, 2, 3].map(() => createTestContext(handle.store, { config: { dataDir } }));
    await Promise.all(
      contexts.map((c) =>
        startGovernance(c, { adminPassword: 'from the environment 1', print: () => undefined }),
      ),
    );
    const users = await handle.store.db.selectFrom('users').select('username').execute();
    expect(users).toEqual([{ username: 'admin' }]);
  });
});
