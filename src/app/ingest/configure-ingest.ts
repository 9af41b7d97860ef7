import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_FINGERPRINT_KEYS, fingerprintKeyProblem } from '../../domain/alerts/fingerprint.js';
import type { Actor } from '../../domain/shared/actor.js';
import { invalid } from '../../domain/shared/errors.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { lockIngestRules } from '../../store/alerts/ingest-lock.repository.js';
import {
  findIngestSettingsJson,
  saveIngestSettingsJson,
} from '../../store/alerts/ingest-settings.repository.js';
import type { AppContext } from '../context.js';
import {
  DEFAULT_INGEST_SETTINGS,
  IngestSettings,
  StoredIngestSettings,
  type IngestSettingsPatch,
  type RulesRead,
} from './ingest-settings.js';

/** The rules in force, and whether an operator set them. */
export interface IngestSettingsView {
  settings: IngestSettings;
  /** False while the built-in defaults apply. */
  configured: boolean;
  updatedBy: string | null;
  updatedAt: number | null;
}

/**
 * The de-duplication and correlation rules in force, read from the store now (what the settings API shows).
 * Ingestion reads them through `rulesInForce` instead. Stored rules that no longer validate (written by
 * another version) fall back to the defaults, with a warning, rather than stopping ingestion.
 */
export async function loadIngestSettings(
  ctx: Pick<AppContext, 'store' | 'log'>,
): Promise<IngestSettingsView> {
  return settingsFromStored(ctx, await findIngestSettingsJson(ctx.store.db));
}

/**
 * The rules a stored row (or its absence) holds, read as earlier versions wrote them (StoredIngestSettings);
 * a document that is not rules at all falls back to the defaults, with a warning.
 */
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
  const parsed = StoredIngestSettings.safeParse(value);
  if (!parsed.success) {
    ctx.log.warn(
      { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
      'stored ingest settings are invalid; the defaults apply',
    );
    return { settings: DEFAULT_INGEST_SETTINGS, configured: false, updatedBy: null, updatedAt: null };
  }
  return {
    settings: withKeysThatNameSomething(ctx, parsed.data),
    configured: true,
    updatedBy: stored.updatedBy,
    updatedAt: stored.updatedAt,
  };
}

/**
 * Stored fingerprint keys that name nothing in an alert (a misspelling an earlier version accepted) are left
 * out, with a warning: such a key reads null for every alert, and alone it made every alert of a source a
 * repeat of the first. With none left, the default keys apply. The rest of the stored rules apply as stored.
 */
function withKeysThatNameSomething(ctx: Pick<AppContext, 'log'>, settings: IngestSettings): IngestSettings {
  const named = settings.fingerprintKeys.filter((key) => fingerprintKeyProblem(key) === undefined);
  if (named.length === settings.fingerprintKeys.length) return settings;
  const dropped = settings.fingerprintKeys.filter((key) => !named.includes(key));
  ctx.log.warn(
    { dropped: dropped.map((key) => `${key}: ${fingerprintKeyProblem(key)}`) },
    named.length > 0
      ? 'stored fingerprint keys that name nothing are left out'
      : 'no stored fingerprint key names anything; the default keys apply',
  );
  return { ...settings, fingerprintKeys: named.length > 0 ? named : [...DEFAULT_FINGERPRINT_KEYS] };
}

/**
 * The rules ingestion applies now: the ones this process last read (read once if never read). Every batch
 * applies them and checks the stored text in its transaction's first round trip (`storeBatch`); should
 * another process have changed them, the batch reads them again (`rememberStoredRules`) and starts over. So a
 * change applies from the next batch in every process, single alerts and streams alike, without a round
 * trip of its own per batch.
 */
export async function rulesInForce(
  ctx: Pick<AppContext, 'store' | 'log' | 'ingestRules'>,
): Promise<RulesRead> {
  return ctx.ingestRules.last ?? rememberStoredRules(ctx, await findIngestSettingsJson(ctx.store.db));
}

/** Records the stored rules a batch found (or this process wrote) as the ones in force. */
export function rememberStoredRules(
  ctx: Pick<AppContext, 'log' | 'ingestRules'>,
  stored: { settings: string; updatedBy: string; updatedAt: number } | undefined,
): RulesRead {
  const read = { storedText: stored?.settings ?? null, settings: settingsFromStored(ctx, stored).settings };
  ctx.ingestRules.last = read;
  return read;
}

/** Replaces the whole rules document (fields left out take their defaults) and audits what changed. */
export async function updateIngestSettings(
  ctx: AppContext,
  input: IngestSettings,
  actor: Actor,
): Promise<IngestSettingsView> {
  const settings = IngestSettings.parse(input);
  return changeIngestSettings(ctx, actor, () => settings);
}

/**
 * Changes the rules a patch gives, `dedup` and `correlation` field by field, and audits what changed; the
 * others keep the value in force.
 */
export async function patchIngestSettings(
  ctx: AppContext,
  patch: IngestSettingsPatch,
  actor: Actor,
): Promise<IngestSettingsView> {
  return changeIngestSettings(ctx, actor, (before) => {
    const merged = IngestSettings.safeParse({
      ...before,
      ...patch,
      dedup: { ...before.dedup, ...patch.dedup },
      correlation: { ...before.correlation, ...patch.correlation },
    });
    if (merged.success) return merged.data;
    // Rules an earlier version stored past today's checks: the change must mend them, or nothing is written.
    const details = merged.error.issues.map((i) => ({
      path: ['body', ...i.path].join('.'),
      message: i.message,
    }));
    throw invalid(
      `the rules in force do not pass today's checks; send these fields too: ${details.map((d) => d.path).join(', ')}`,
      details,
    );
  });
}

/**
 * Stores the rules `change` makes of those in force, with an audit entry of both when they differ. The rules
 * are read in the transaction that replaces them, writers taking turns (SQLite's `BEGIN IMMEDIATE`,
 * PostgreSQL's lock), so the audit's `before` is what the change replaced, and a patch keeps what another
 * writer just committed.
 */
async function changeIngestSettings(
  ctx: AppContext,
  actor: Actor,
  change: (before: IngestSettings) => IngestSettings,
): Promise<IngestSettingsView> {
  const { settings, stored, now } = await ctx.store.db.transaction().execute(async (trx) => {
    if (ctx.store.dialect.concurrentWriters) await lockIngestRules(trx);
    const read = settingsFromStored(ctx, await findIngestSettingsJson(trx));
    const before = read.settings;
    const settings = change(before);
    // After the wait for the lock: a later change is never stamped earlier than the one it replaced.
    const now = ctx.clock.now();
    const stored = { settings: JSON.stringify(settings), updatedBy: actor.id };
    await saveIngestSettingsJson(trx, stored, now);
    // Stored rules given again as they were are no change, and the audit log does not claim one. (Defaults
    // stored where none were are: they no longer follow this version's defaults.)
    if (!read.configured || !isDeepStrictEqual(before, settings)) {
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
    }
    return { settings, stored, now };
  });
  // This process's next batch applies them without finding them changed first.
  rememberStoredRules(ctx, { ...stored, updatedAt: now });
  return { settings, configured: true, updatedBy: actor.id, updatedAt: now };
}
