import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { openStore } from '../../src/store/store.js';
import { runCli } from '../support/processes.js';
import { openCase } from '../cases/case-fixtures.js';

const MIN = 60_000;

// Each call starts the built CLI in a process of its own (over a second on a loaded machine): generous timeouts.
describe('riposte sla-policies', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'riposte-sla-cli-'));
  const cli = (...args: string[]) =>
    runCli(['sla-policies', ...args], {
      RIPOSTE_DATA_DIR: dataDir,
      DATABASE_URL: '',
    });
  const file = (name: string, text: string): string => {
    const path = join(dataDir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    const store = await openStore({ sqlitePath: join(dataDir, 'riposte.db') });
    await store.migrate();
    await openCase(store, { title: 'Beacon', severity: 'critical' }, Date.now());
    await store.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('shows the built-in policies, as a table and as JSON', async () => {
    const show = await cli('show');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/critical\s+15m\s+4h\s+1d\s+built in/);
    const json = JSON.parse((await cli('show', '--json')).stdout) as { configured: unknown[] };
    expect(json).toMatchObject({ policies: { high: { acknowledge: 30 * MIN } }, configured: [] });
  }, 60_000);

  it('sets policies from YAML or JSON, audited, and reschedules the open cases', async () => {
    const yaml = file(
      'sla.yaml',
      `critical:\n  acknowledge: ${5 * MIN}\n  contain: ${60 * MIN}\n  resolve: ${600 * MIN}\n`,
    );
    const set = await cli('set', yaml);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/critical\s+5m\s+1h\s+10h\s+set by /);
    expect(set.stdout).toContain('open cases rescheduled: 1');
    const json = file(
      'sla.json',
      JSON.stringify({ low: { acknowledge: MIN, contain: MIN, resolve: 2 * MIN } }),
    );
    expect((await cli('set', json)).code).toBe(0);
    const shown = JSON.parse((await cli('show', '--json')).stdout) as {
      configured: Array<{ severity: string }>;
    };
    expect(shown.configured.map((c) => c.severity).sort()).toEqual(['critical', 'low']);

    const store = await openStore({ sqlitePath: join(dataDir, 'riposte.db') });
    try {
      const audit = await readAuditEntries(store.db, 0, 1000);
      const updates = audit.filter((e) => e.action === 'sla_policies.updated');
      expect(updates).toHaveLength(2);
      expect(updates[0]?.details).toMatchObject({
        before: { critical: { acknowledge: 15 * MIN } },
        after: { critical: { acknowledge: 5 * MIN } },
        rescheduled: 1,
      });
    } finally {
      await store.close();
    }
  }, 120_000);

  it('refuses a wrong file with errors naming the field, and changes nothing', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['unknown.yaml', `urgent: { acknowledge: 1, contain: 2, resolve: 3 }\n`, /urgent: is not a severity/],
      [
        'extra.yaml',
        `high: { acknowledge: 1, contain: 2, resolve: 3, breach: 4 }\n`,
        /high\.breach: is not a clock/,
      ],
      ['negative.json', `{"high": {"acknowledge": 1, "contain": 2, "resolve": -3}}`, /high\.resolve: /],
      ['missing.yaml', `high: { acknowledge: 1, contain: 2 }\n`, /high\.resolve: /],
      [
        'unordered.yaml',
        `low: { acknowledge: 600000, contain: 300000, resolve: 3600000 }\n`,
        /low\.contain: 300000 is shorter than acknowledge/,
      ],
      ['broken.yaml', `high: { acknowledge: 1,\n`, /neither JSON nor YAML\n\s+- line \d+ column \d+: /],
    ];
    for (const [name, text, expected] of cases) {
      const res = await cli('set', file(name, text));
      expect(res.code, name).toBe(1);
      expect(res.stderr, name).toMatch(expected);
    }
    expect((await cli('set', join(dataDir, 'absent.yaml'))).stderr).toContain('cannot read');
    const shown = JSON.parse((await cli('show', '--json')).stdout) as {
      policies: { high: { resolve: number } };
    };
    expect(shown.policies.high.resolve).toBe(72 * 60 * MIN);
  }, 180_000);
});
