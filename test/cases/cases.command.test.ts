import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { runCli } from '../support/processes.js';
import { openCase } from './case-fixtures.js';

// Each call starts the built CLI in a process of its own (over a second on a loaded machine): generous timeouts.
describe('riposte cases', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'riposte-cases-cli-'));
  const cli = (...args: string[]) =>
    runCli(['cases', ...args], { RIPOSTE_DATA_DIR: dataDir, DATABASE_URL: '' });
  let store: Store;
  let caseId: string;

  beforeAll(async () => {
    store = await openStore({ sqlitePath: join(dataDir, 'riposte.db') });
    await store.migrate();
    caseId = (
      await openCase(store, { title: 'Brute force on VPN', severity: 'critical', tags: ['vpn'] }, Date.now())
    ).id;
    await openCase(store, { title: 'Noise', severity: 'low' }, Date.now());
    await store.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('lists with filters and shows a case by number', async () => {
    const list = await cli('list', '--severity', 'critical');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('Brute force on VPN');
    expect(list.stdout).not.toContain('Noise');
    const json = JSON.parse((await cli('list', '--json')).stdout) as { items: Array<{ id: string }> };
    expect(json.items.map((c) => c.id)).toContain(caseId);
    const show = await cli('show', '#1');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('#1 Brute force on VPN');
    expect(show.stdout).toMatch(/acknowledge\s+due/);
  }, 120_000);

  it('updates, moves and closes a case, and names what is wrong when it cannot', async () => {
    const update = await cli(
      'update',
      caseId,
      '--assignee',
      'alice',
      '--status',
      'triage',
      '--reason',
      'looking',
    );
    expect(update.code).toBe(0);
    expect(update.stdout).toMatch(/triage\s+alice/);
    const illegal = await cli('close', '1', '--resolution', 'resolved');
    expect(illegal.code).toBe(1);
    expect(illegal.stderr).toContain('cannot move a case from triage to closed');
    const badResolution = await cli('close', '1', '--resolution', 'fixed');
    expect(badResolution.code).not.toBe(0);
    expect(badResolution.stderr).toContain('resolution must be one of');
    const close = await cli('close', '1', '--resolution', 'false_positive');
    expect(close.code).toBe(0);
    expect(close.stdout).toContain('closed');
    const show = JSON.parse((await cli('show', caseId, '--json')).stdout) as {
      timeline: Array<{ type: string; actor: { name: string } }>;
    };
    expect(show.timeline.map((e) => e.type)).toEqual([
      'case_created',
      'case_updated',
      'status_changed',
      'status_changed',
    ]);
    expect(show.timeline[1]?.actor.name).toMatch(/^cli:/);
    expect((await cli('show', '999')).stderr).toContain('case 999 does not exist');
  }, 120_000);
});
