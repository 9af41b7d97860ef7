import type { Actor } from '../../domain/shared/actor.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import {
  findIngestSettingsJson,
  saveIngestSettingsJson,
} from '../../store/alerts/ingest-settings.repository.js';
import type { AppContext } from '../context.js';
import { DEFAULT_INGEST_SETTINGS, IngestSettings } from './ingest-settings.js';

/** The rules in force, and whether an operator set them. */
export interface IngestSettingsView {
  settings: IngestSettings;
  /** False while the built-in defaults apply. */
  configured: boolean;
  updatedBy: string | null;
  updatedAt: number | null;
}

/**
 * The de-duplication and correlation rules in force, read from the store now: a stream reads them once at its
 * start, and `ingestAlerts` checks the stored text inside every batch's transaction (ingest-alerts.ts), so
 * every process applies a change at its next batch. Stored rules that no longer validate (written by another
 * version) fall back to the defaults, with a warning, rather than stopping ingestion.
 */
export async function loadIngestSettings(
  ctx: Pick<AppContext, 'store' | 'log'>,
): Promise<IngestSettingsView> {
  return settingsFromStored(ctx, await findIngestSettingsJson(ctx.store.db));
}

/** The rules a stored row (or its absence) holds; invalid ones fall back to the defaults, with a warning. */
export function settingsFromStored(
  ctx: Pick<AppContext, 'log'>,
  stored: { settings: string; updatedBy: string; updatedAt: number } | undefined,
): IngestSettingsView {
  if (!stored)
    return { settings: DEFAULT_INGEST_SETTINGS, configured: false, updatedBy: null, updatedAt: null };
  let value: unknown;
  try {
    value = JSON.parse(stored.settings);
  } catch {
    value = undefined;
  }
  const parsed = IngestSettings.safeParse(value);
  if (!parsed.success) {
    ctx.log.warn(
      { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
      'stored ingest settings are invalid; the defaults apply',
    );
    return { settings: DEFAULT_INGEST_SETTINGS, configured: false, updatedBy: null, updatedAt: null };
  }
  return {
    settings: parsed.data,
    configured: true,
    updatedBy: stored.updatedBy,
    updatedAt: stored.updatedAt,
  };
}

/** Replaces the rules (fields left out take their defaults) and audits what changed. */
export async function updateIngestSettings(
  ctx: AppContext,
  input: IngestSettings,
  actor: Actor,
): Promise<IngestSettingsView> {
  const settings = IngestSettings.parse(input);
  const now = ctx.clock.now();
  const before = (await loadIngestSettings(ctx)).settings;
  await ctx.store.db.transaction().execute(async (trx) => {
    await saveIngestSettingsJson(trx, { settings: JSON.stringify(settings), updatedBy: actor.id }, now);
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor,
        action: 'ingest_settings.updated',
        target: { type: 'ingest_settings', id: 'default' },
        details: { before, after: settings },
      },
      now,
    );
  });
  return { settings, configured: true, updatedBy: actor.id, updatedAt: now };
}
