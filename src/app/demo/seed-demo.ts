import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Actor } from '../../domain/shared/actor.js';
import type { AppContext } from '../context.js';
import { ingestAlerts, type IngestResult } from '../ingest/ingest-alerts.js';
import { deploymentValidation } from '../playbooks/connector-validation.js';
import { publishPlaybook } from '../playbooks/playbook-catalog.js';
import { hasAnyAlert } from '../../store/alerts/alert.repository.js';
import { demoAlerts } from './demo-alerts.js';

const DEMO_ACTOR: Actor = { type: 'system', id: 'demo', name: 'demo data' };

/** The built-in playbook library (`playbooks/` at the package root), found from this file in src/ or dist/src/. */
export function findPlaybookLibrary(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'playbooks')))
      return join(dir, 'playbooks');
    dir = dirname(dir);
  }
  return undefined;
}

export interface DemoSeedResult {
  seeded: boolean;
  playbooks: string[];
  ingest?: IngestResult;
}

/**
 * Seeds a fresh store through the real path: the library's playbooks are published and activated, then the
 * demo alerts are ingested, so de-duplication, correlation into cases and playbook triggers all happen as
 * they would for a real source. A store that already holds alerts is left alone (seeding happens once).
 */
export async function seedDemo(
  ctx: AppContext,
  options: { playbookDir?: string } = {},
): Promise<DemoSeedResult> {
  if (await hasAnyAlert(ctx.store.db)) return { seeded: false, playbooks: [] };
  const dir = options.playbookDir ?? findPlaybookLibrary();
  const playbooks: string[] = [];
  if (dir) {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'))
      .sort();
    for (const file of files) {
      const published = await publishPlaybook(ctx, {
        source: readFileSync(join(dir, file), 'utf8'),
        file,
        actor: DEMO_ACTOR,
        validation: deploymentValidation(ctx.config),
      });
      playbooks.push(published.id);
    }
  }
  const ingest = await ingestAlerts(
    ctx,
    {
      source: 'demo',
      items: demoAlerts(ctx.clock.now()).map((value, i) => ({ kind: 'json' as const, value, line: i + 1 })),
    },
    DEMO_ACTOR,
  );
  ctx.log.info(
    {
      playbooks: playbooks.length,
      alerts: ingest.accepted,
      duplicates: ingest.duplicates,
      cases: ingest.casesCreated,
    },
    'demo data seeded',
  );
  return { seeded: true, playbooks, ingest };
}
