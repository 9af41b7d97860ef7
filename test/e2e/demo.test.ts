/**
 * `npm start` runs `serve --demo`: on a fresh store the library and the demo alerts go in through the real
 * path (mappers, de-duplication, correlation, triggers), playbooks run against simulated connectors, and the
 * cases show their timelines. A second start does not seed again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/app/demo/seed-demo.js';
import { loadConfig } from '../../src/config/config.js';
import { startRiposte, type Runtime } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { listCaseEvents } from '../../src/store/cases/case.repository.js';

const TERMINAL_OR_PARKED = ['succeeded', 'failed', 'waiting', 'cancelled'];

describe('demo mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'riposte-demo-'));
  let runtime: Runtime | undefined;
  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('seeds the library and demo alerts once, and the playbooks run on them', async () => {
    const config = loadConfig({
      env: {
        RIPOSTE_DATA_DIR: dataDir,
        RIPOSTE_PORT: '0',
        RIPOSTE_DEMO: 'true',
        RIPOSTE_QUEUE_POLL_MS: '100',
      },
    });
    runtime = await startRiposte(config, { log: createLogger({ level: 'silent' }) });
    const { db } = runtime.ctx.store;
    const playbooks = await db.selectFrom('playbooks').select('id').execute();
    expect(playbooks.map((p) => p.id)).toEqual(
      expect.arrayContaining([
        'phishing-triage',
        'malware-outbreak',
        'account-compromise',
        'known-bad-ip-triage',
      ]),
    );
    const alerts = await db.selectFrom('alerts').select(['id', 'case_id']).execute();
    expect(alerts.length).toBeGreaterThanOrEqual(5);
    const caseIds = [...new Set(alerts.map((a) => a.case_id).filter((id): id is string => !!id))];
    expect(caseIds.length).toBeGreaterThanOrEqual(4);

    // Every case gets at least one run, and the runs get somewhere (done, or parked on an approval).
    const until = Date.now() + 60_000;
    let runs: Array<{
      case_id: string | null;
      status: string;
      playbook_id: string;
      error_code: string | null;
    }> = [];
    while (Date.now() < until) {
      runs = await db.selectFrom('runs').select(['case_id', 'status', 'playbook_id', 'error_code']).execute();
      if (runs.length > 0 && runs.every((r) => TERMINAL_OR_PARKED.includes(r.status))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const id of caseIds) expect(runs.some((r) => r.case_id === id)).toBe(true);
    expect(runs.every((r) => TERMINAL_OR_PARKED.includes(r.status))).toBe(true);
    expect(runs.some((r) => r.status === 'succeeded')).toBe(true);
    // The library runs clean against the connectors' real schemas (simulated answers): none fails.
    expect(runs.filter((r) => r.status === 'failed')).toEqual([]);

    // The timelines show the alerts and what the playbooks did.
    const events = (await Promise.all(caseIds.map((id) => listCaseEvents(db, id, { limit: 200 })))).flat();
    const types = new Set(events.map((e) => e.type));
    expect(types).toContain('alerts_added');
    expect(types.size).toBeGreaterThan(1);

    // Seeding happens once.
    expect(await seedDemo(runtime.ctx)).toMatchObject({ seeded: false });
  });
});
