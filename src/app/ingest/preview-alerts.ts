import type { Transaction } from 'kysely';
import type { Correlation, NormalizedAlert } from '../../domain/alerts/alert.js';
import { fingerprintOf } from './fingerprint-of.js';
import type { Actor } from '../../domain/shared/actor.js';
import { findAlertDecisions } from '../../store/alerts/alert.repository.js';
import { findIngestSettingsJson } from '../../store/alerts/ingest-settings.repository.js';
import type { Database } from '../../store/schema.js';
import type { AppContext } from '../context.js';
import { rememberStoredRules } from './configure-ingest.js';
import { mapItem, type IngestItem } from './map-item.js';
import { retryOnConflict } from './ingest-alerts.js';
import { storeBatch, type Mapped, type StoredOutcome } from './store-batch.js';

/** The most alerts one preview takes: it holds the store's write lock while it decides them. */
export const MAX_PREVIEW_ALERTS = 100;

export interface PreviewInput {
  /** The source the alerts would come through: its alerts are what a repeat is looked for among. */
  source: string;
  mapper?: string | undefined;
  mapperConfig?: unknown;
  items: readonly IngestItem[];
}

/** What ingest would make of one item, had it been sent: nothing of it is stored. */
export type PreviewItem =
  | { index: number; status: 'rejected'; reason: string; path?: string | undefined }
  | {
      index: number;
      status: 'accepted';
      mapper: string;
      alert: Omit<NormalizedAlert, 'raw'>;
      fingerprint: string;
      /** The decision it would record; `caseId` only when it joins a case that exists. */
      correlation: Correlation;
      /** It would open a case of its own. */
      opensCase: boolean;
      /** It would join the case an earlier item of this preview opens (that item's index). */
      joinsCaseOpenedBy?: number;
    }
  | {
      index: number;
      status: 'duplicate';
      mapper: string;
      alert: Omit<NormalizedAlert, 'raw'>;
      /** A retry of a stored event (`source_event_id`) or a repeat counted on it (`fingerprint`). */
      reason: 'source_event_id' | 'fingerprint';
      fingerprint: string;
      /** The stored alert it would be counted on; absent when that is an earlier item of this preview. */
      alertId?: string;
      caseId?: string | null;
      /** It repeats an earlier item of this preview (that item's index). */
      repeatsItem?: number;
    };

export interface PreviewResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  casesOpened: number;
  items: PreviewItem[];
}

/** Carries a decision out of the transaction that made it, which throwing it rolls back. */
class RolledBack<T> extends Error {
  constructor(readonly value: T) {
    super('a preview is rolled back');
  }
}

/**
 * Runs `work` in a transaction and rolls it back whatever it did: the store decides exactly as ingest would
 * (the same statements, locks and rules), and nothing is kept. Retried as ingest is when another transaction
 * overlapped it or PostgreSQL chose it to break a deadlock.
 */
async function rolledBack<T>(ctx: AppContext, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return retryOnConflict(async () => {
    try {
      await ctx.store.db.transaction().execute(async (trx) => {
        throw new RolledBack(await work(trx));
      });
    } catch (err) {
      if (err instanceof RolledBack) return err.value as T;
      throw err;
    }
    throw new Error('a preview transaction ended without its decision');
  });
}

/**
 * What ingest would do with these alerts, decided by the store as it stands and then rolled back: how each
 * maps (or why it is rejected), its observables and fingerprint, and whether it would be a duplicate, join a
 * case (which, and why) or open one. Alerts of one preview see each other, as those of one request do. For
 * trying a source's mapper or a generic mapping on a tool's real payloads before pointing the tool at it.
 */
export async function previewAlerts(
  ctx: AppContext,
  input: PreviewInput,
  actor: Actor,
): Promise<PreviewResult> {
  // The stored rules as they are now (not the copy a process keeps between ingest calls).
  const { settings } = rememberStoredRules(ctx, await findIngestSettingsJson(ctx.store.db));
  const now = ctx.clock.now();
  const options = { mapper: input.mapper, mapperConfig: input.mapperConfig, now };
  const items: PreviewItem[] = [];
  const mapped: Mapped[] = [];
  input.items.forEach((item, index) => {
    const m = mapItem(item, options);
    if (m.ok)
      mapped.push({
        index,
        alert: m.alert,
        mapper: m.mapper,
        rawText: m.rawText,
        fingerprint: m.fingerprint,
      });
    else items.push({ index, status: 'rejected', reason: m.reason, path: m.path });
  });
  const { outcomes, decisions } = await rolledBack(ctx, async (trx) => {
    const out = await storeBatch(ctx, trx, input.source, mapped, actor, settings, now);
    const ids = out.map((o) => o.alertId);
    return { outcomes: out, decisions: await findAlertDecisions(trx, ids) };
  });
  const byIndex = new Map(mapped.map((m) => [m.index, m]));
  /** Alerts and cases this preview made (rolled back): by id, the index of the item that made them. */
  const madeBy = new Map<string, number>();
  for (const o of outcomes)
    if (o.status === 'accepted') {
      madeBy.set(o.alertId, o.index);
      if (o.caseCreated) madeBy.set(o.caseId, o.index);
    }
  let casesOpened = 0;
  for (const o of outcomes) items.push(previewOf(o));
  function previewOf(o: StoredOutcome): PreviewItem {
    const m = byIndex.get(o.index) as Mapped;
    const { raw: _raw, ...alert } = m.alert;
    const decision = decisions.get(o.alertId);
    // The item's own, under the rules in force (a retry by event id may differ from the alert it names).
    const fingerprint = fingerprintOf(input.source, m.alert, settings.fingerprintKeys);
    if (o.status === 'duplicate') {
      const repeatsItem = madeBy.get(o.alertId);
      return {
        index: o.index,
        status: 'duplicate',
        mapper: m.mapper,
        alert,
        reason: o.reason,
        fingerprint,
        ...(repeatsItem === undefined ? { alertId: o.alertId, caseId: o.caseId } : { repeatsItem }),
      };
    }
    if (o.caseCreated) casesOpened += 1;
    const { caseId: _made, ...correlation } = decision?.correlation ?? {
      decision: 'new_case' as const,
      reason: '',
      rule: 'none' as const,
    };
    const opener = o.caseCreated ? undefined : madeBy.get(o.caseId);
    return {
      index: o.index,
      status: 'accepted',
      mapper: m.mapper,
      alert,
      fingerprint,
      // A case this preview opened does not exist: its id is not given.
      correlation: madeBy.has(o.caseId) ? correlation : { ...correlation, caseId: o.caseId },
      opensCase: o.caseCreated,
      ...(opener === undefined ? {} : { joinsCaseOpenedBy: opener }),
    };
  }
  items.sort((a, b) => a.index - b.index);
  return {
    accepted: items.filter((i) => i.status === 'accepted').length,
    duplicates: items.filter((i) => i.status === 'duplicate').length,
    rejected: items.filter((i) => i.status === 'rejected').length,
    casesOpened,
    items,
  };
}
