import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { insertUser } from '../../src/store/identity/user.repository.js';
import { openStore } from '../../src/store/store.js';
import { runCli } from '../support/processes.js';

// Each call starts the built CLI in a process of its own (over a second on a loaded machine): generous timeouts.
describe('governance CLI (riposte user, token, audit, report)', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-cli-'));
  const cli = (...args: string[]) => runCli(['--data-dir', dir, ...args]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds, lists and disables users as the local admin, recorded in the audit log', async () => {
    const add = await cli('user', 'add', 'alice', '--role', 'responder,approver');
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/one-time password .*: [A-Za-z0-9_-]{24}\n/);
    expect((await cli('user', 'add', 'alice', '--role', 'viewer')).stderr).toContain('already exists');
    // Names compare in any case: changing the case does not make another user.
    const again = await cli('user', 'add', 'ALICE', '--role', 'viewer');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      'riposte: a user named alice already exists (user names do not differ by case alone)\n',
    );
    expect((await cli('user', 'list')).stdout).toMatch(/alice\s+active\s+responder,approver/);
    expect((await cli('user', 'disable', 'alice')).code).toBe(0);
    expect((await cli('user', 'list')).stdout).toMatch(/alice\s+disabled/);
    const exported = await cli('audit', 'export', '--action', 'user.');
    const actions = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; actor: { name: string } });
    expect(actions.map((a) => a.action)).toEqual(['user.created', 'user.disabled']);
    expect(actions[0]?.actor.name).toMatch(/^cli:/);
  });

  it('stops a start on a store with names differing only by case, saying which and what to do', async () => {
    const other = mkdtempSync(join(tmpdir(), 'riposte-cli-'));
    try {
      const store = await openStore({ sqlitePath: join(other, 'riposte.db') });
      await store.migrate({ upTo: '0020_a_source_previous_credentials' });
      for (const [id, username, at] of [
        ['u-1', 'mallory', 1],
        ['u-2', 'Mallory', 2],
      ] as const)
        await insertUser(
          store.db,
          { id, username, displayName: username, passwordHash: null, roles: ['viewer'] },
          at,
        );
      await store.close();
      const run = await runCli(['--data-dir', other, 'migrate']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        "migration 0021_a_username_case_insensitive failed: user names now compare case-insensitively, and these users' names differ only by case: mallory (id u-1), Mallory (id u-2).",
      );
      expect(run.stderr).toContain("UPDATE users SET username = 'Mallory-2' WHERE id = 'u-2';");
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('creates a token shown once and revokes it', async () => {
    const created = await cli(
      'token',
      'create',
      'hec',
      '--role',
      'ingest',
      '--source',
      'splunk',
      '--expires-in-days',
      '30',
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^rpt_[A-Za-z0-9_-]{43}\n$/);
    const id = /created token (\S+)/.exec(created.stderr)?.[1] ?? '';
    expect((await cli('token', 'revoke', id)).stdout).toBe(`revoked ${id}\n`);
    expect((await cli('token', 'revoke', id)).code).toBe(1);
  });

  it('verifies the log, and names the entry that was edited', async () => {
    expect((await cli('audit', 'checkpoint')).stdout).toMatch(/checkpoint at entry \d+ signed/);
    const ok = await cli('audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^audit log intact: \d+ entries/);
    const store = await openStore({ sqlitePath: join(dir, 'riposte.db') });
    await store.db
      .updateTable('audit_log')
      .set({ actor_name: 'someone else' })
      .where('seq', '=', 2)
      .execute();
    await store.close();
    const broken = await cli('audit', 'verify');
    expect(broken.code).toBe(3);
    expect(broken.stdout).toContain('BROKEN at entry 2 (hash_mismatch)');
  });

  it(
    'writes the compliance report as JSON and HTML, and archives the log so it still verifies',
    { timeout: 400_000 },
    async () => {
      const fresh = mkdtempSync(join(tmpdir(), 'riposte-cli-'));
      const run = (...args: string[]) => runCli(['--data-dir', fresh, ...args]);
      try {
        expect((await run('user', 'add', 'bob', '--role', 'viewer')).code).toBe(0);
        const json = await run('report', 'compliance', '--from', '1d', '--format', 'json');
        expect(json.code).toBe(0);
        const report = JSON.parse(json.stdout) as {
          soc2: Array<{ id: string }>;
          auditIntegrity: { ok: boolean };
        };
        expect(report.soc2.map((c) => c.id)).toEqual(['CC7.3', 'CC7.4', 'CC7.5']);
        expect(report.auditIntegrity.ok).toBe(true);
        const htmlFile = join(fresh, 'report.html');
        expect((await run('report', 'compliance', '--from', '1d', '-o', htmlFile)).code).toBe(0);
        expect(readFileSync(htmlFile, 'utf8')).toContain('CC7.4');

        const archived = await run('audit', 'archive', '--before', '2100-01-01');
        expect(archived.stdout).toMatch(/^archived entries 1-\d+ to audit-/);
        const verified = await run('audit', 'verify', '--archives', '--json');
        expect(verified.code).toBe(0);
        expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, entriesChecked: 1 });
        const exported = await run('audit', 'export', '--action', 'audit.archived');
        expect(JSON.parse(exported.stdout.trim())).toMatchObject({
          action: 'audit.archived',
          actor: { name: expect.stringMatching(/^cli:/) },
        });
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    },
  );
});
