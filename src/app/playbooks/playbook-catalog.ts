import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { loadPlaybook } from '../../domain/playbooks/playbook-loader.js';
import { PlaybookSchema, type Playbook } from '../../domain/playbooks/playbook.schema.js';
import type { ValidationOptions } from '../../domain/playbooks/playbook-validation.js';
import { canonicalJson } from '../../domain/shared/canonical-json.js';
import type { Actor } from '../../domain/shared/actor.js';
import { invalid, notFound } from '../../domain/shared/errors.js';
import { compilePlaybook, type CompiledPlaybook } from '../../engine/compiled-playbook.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import {
  activatePlaybookVersion,
  findActiveVersionNumber,
  findPlaybookVersion,
  savePlaybookVersion,
} from '../../store/playbooks/playbook.repository.js';
import type { Database } from '../../store/schema.js';
import type { AppContext } from '../context.js';
import { scheduleNextTick, scheduleReviewReminder } from './playbook-schedule.js';

export interface PublishInput {
  source: string;
  file?: string;
  actor: Actor;
  /** Make the new version the active one (default true). */
  activate?: boolean;
  validation?: ValidationOptions;
}

export interface PublishResult {
  id: string;
  version: number;
  created: boolean;
  active: boolean;
}

/**
 * Validates a playbook and saves it as a new immutable version (or finds the identical latest one), making
 * it active unless told otherwise. One transaction, audited.
 */
export async function publishPlaybook(ctx: AppContext, input: PublishInput): Promise<PublishResult> {
  const { playbook, problems } = loadPlaybook(input.source, { ...input.validation, file: input.file });
  if (!playbook)
    throw invalid(`${input.file ?? 'the playbook'} is invalid: ${problems.length} problem(s)`, problems);
  const now = ctx.clock.now();
  const sha256 = createHash('sha256').update(canonicalJson(playbook)).digest('hex');
  const activate = input.activate ?? true;
  const result = await ctx.store.db.transaction().execute(async (trx) => {
    const saved = await savePlaybookVersion(
      trx,
      {
        id: playbook.id,
        name: playbook.name,
        source: input.source,
        definition: playbook,
        sha256,
        createdBy: input.actor.id,
      },
      now,
    );
    if (activate) {
      await activatePlaybookVersion(trx, playbook.id, saved.version, now);
      for (const t of playbook.triggers)
        if (t.type === 'schedule')
          await scheduleNextTick(
            trx,
            { dialect: ctx.store.dialect, newId: ctx.newId },
            { playbookId: playbook.id, cron: t.cron, after: now },
            now,
          );
      if (playbook.review_by)
        await scheduleReviewReminder(
          trx,
          { dialect: ctx.store.dialect, newId: ctx.newId },
          { playbookId: playbook.id, version: saved.version, reviewBy: playbook.review_by },
          now,
        );
    }
    if (saved.created || activate)
      await appendAudit(
        trx,
        { dialect: ctx.store.dialect },
        {
          actor: input.actor,
          action: 'playbook.published',
          target: { type: 'playbook', id: playbook.id },
          details: { version: saved.version, sha256, created: saved.created, activated: activate },
        },
        now,
      );
    return saved;
  });
  return { id: playbook.id, version: result.version, created: result.created, active: activate };
}

type Db = Kysely<Database> | Transaction<Database>;

export interface LoadedVersion {
  id: string;
  version: number;
  compiled: CompiledPlaybook;
}

/** Compiled versions by `id@version`: versions never change, so the cache never goes stale. */
export class PlaybookCache {
  private readonly entries = new Map<string, CompiledPlaybook>();

  async load(db: Db, id: string, given?: number): Promise<LoadedVersion> {
    // A numbered version never changes: once compiled, it needs no query (this is on every step's commit).
    // The active one is looked up by number (every run start), its definition read only when not compiled.
    const version = given ?? (await findActiveVersionNumber(db, id));
    const known = version === undefined ? undefined : this.entries.get(`${id}@${version}`);
    if (known && version !== undefined) return { id, version, compiled: known };
    const row = version === undefined ? undefined : await findPlaybookVersion(db, id, version);
    if (!row) throw notFound(given === undefined ? 'active playbook' : `playbook version ${given} of`, id);
    const key = `${row.playbook_id}@${row.version}`;
    let compiled = this.entries.get(key);
    if (!compiled) {
      compiled = compilePlaybook(PlaybookSchema.parse(JSON.parse(row.definition)) as Playbook);
      this.entries.set(key, compiled);
    }
    return { id: row.playbook_id, version: row.version, compiled };
  }
}
