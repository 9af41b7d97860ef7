import type { Transaction } from 'kysely';
import type { Correlation, NormalizedAlert } from '../../domain/alerts/alert.js';
import type { Observable } from '../../domain/observables/observable.js';
import type { FingerprintKeys } from '../../domain/alerts/fingerprint.js';
import type { Actor } from '../../domain/shared/actor.js';
import { formatDuration } from '../../domain/shared/duration.js';
import {
  findAlertsBySourceEventIds,
  findOpenCasesByRules,
  findRecentByFingerprints,
  insertAlertObservables,
  insertAlerts,
  recordRepeatEventIds,
  recordRepeats,
  type NewAlertRow,
} from '../../store/alerts/alert.repository.js';
import { countStoredAlerts } from '../../store/alerts/alert-daily-counts.repository.js';
import { findIngestSettingsJson } from '../../store/alerts/ingest-settings.repository.js';
import { lockDetectionRules, lockIngestSource } from '../../store/alerts/ingest-lock.repository.js';
import { upsertObservables } from '../../store/alerts/observable.repository.js';
import {
  addObservablesToCases,
  appendAlertsAddedEvents,
  lockOpenCases,
} from '../../store/alerts/alert-case-batch.repository.js';
import { createCases, type NewCase } from '../../store/cases/case.repository.js';
import { loadSlaPolicies, type StoredSlaPolicies } from '../../store/cases/sla-policy.repository.js';
import { findOpenCasesByObservables } from '../../store/cases/case-observable-seen.repository.js';
import { enqueueJobs } from '../../store/queue/queue.repository.js';
import { deferWrites } from '../../store/deferred-writes.js';
import { readTogether } from '../../store/read-together.js';
import type { Database } from '../../store/schema.js';
import type { AppContext } from '../context.js';
import { isSignificantUnder } from './correlation-rules.js';
import { fingerprintOf } from './fingerprint-of.js';
import type { IngestSettings } from './ingest-settings.js';
import type { Fingerprint } from './map-item.js';

export type Mapped = {
  index: number;
  line?: number;
  alert: NormalizedAlert;
  mapper: string;
  /** The raw event's JSON text as received, stored instead of re-serialising `alert.raw`. */
  rawText?: string | undefined;
  /** Precomputed by a mapping thread (see prepare-items.ts) for the same source; else computed here. */
  fingerprint?: Fingerprint | undefined;
  /** The network address the item was delivered from (a syslog sender, an HTTP client), when known. */
  receivedFrom?: string | undefined;
};

/** Where an item was in the caller's input, as its outcome names it: index, and line when it came from one. */
export const positionOf = (m: Mapped): { index: number; line?: number } => ({
  index: m.index,
  ...(m.line !== undefined ? { line: m.line } : {}),
});

const sameKeys = (a: FingerprintKeys, b: FingerprintKeys): boolean =>
  a === b || (a.length === b.length && a.every((key, i) => key === b[i]));

/**
 * The alert's fingerprint under the batch's keys: the one its mapping thread computed, unless the rules
 * changed since. Then it is computed again, with the raw event back from its text (a thread's alert travels
 * without it, and a key may read it).
 */
function fingerprintUnder(source: string, m: Mapped, keys: FingerprintKeys): string {
  if (m.fingerprint && sameKeys(m.fingerprint.keys, keys)) return m.fingerprint.value;
  const alert =
    m.fingerprint && m.rawText !== undefined
      ? { ...m.alert, raw: JSON.parse(m.rawText) as unknown }
      : m.alert;
  return fingerprintOf(source, alert, keys);
}

export type StoredOutcome =
  | {
      index: number;
      line?: number;
      status: 'accepted';
      alertId: string;
      caseId: string;
      caseCreated: boolean;
    }
  | {
      index: number;
      line?: number;
      status: 'duplicate';
      alertId: string;
      caseId: string | null;
      /** `source_event_id`: a retry of an event already stored; `fingerprint`: a repeat, counted. */
      reason: 'source_event_id' | 'fingerprint';
    };

const ruleKey = (product: string | null, ruleId: string): string => `${product ?? ''}\u0000${ruleId}`;

/**
 * Another transaction of the source committed one of the alerts this batch took for new (same source event id
 * or fingerprint), after the batch's first lookups read their snapshot and before the batch held the source's
 * lock (PostgreSQL, `lockIngestSource`). The batch stored nothing and runs again: then its lookups see that
 * alert, and count a repeat or answer a retry.
 */
export class OverlappedIngest extends Error {
  constructor(message = "another transaction stored one of the batch's new alerts first") {
    super(message);
  }
}

/**
 * A case the batch chose for its alerts was merged or closed by a transaction that committed after the
 * batch's lookups read it open (PostgreSQL). The batch stored nothing and runs again, as an overlapped one
 * does: then its lookups see the case closed (and a merged case's alerts in the case they went to).
 */
export class JoinedCaseClosed extends OverlappedIngest {
  constructor() {
    super('a case the batch chose was merged or closed meanwhile');
  }
}

/** A rule as the reason names it: `Suricata rule 2019284`, or `rule 2019284` when no product is known. */
const ruleName = (origin: NormalizedAlert['origin']): string =>
  origin.product ? `${origin.product} rule ${origin.ruleId}` : `rule ${origin.ruleId}`;

/** Why an alert opened a case, naming only the grouping that was looked for, and over what window. */
function newCaseReason(rules: IngestSettings['correlation']): string {
  const byRule = rules.enabled && rules.byRule;
  const byObservable = rules.enabled && rules.byObservable;
  const window = `within the last ${formatDuration(rules.windowMs)}`;
  if (byRule && byObservable) return `no open case shares its rule or a significant observable ${window}`;
  if (byRule) return `no open case shares its rule ${window} (grouping by observable is off)`;
  if (byObservable) return `no open case shares a significant observable ${window} (grouping by rule is off)`;
  return rules.enabled
    ? 'grouping by rule and by observable are both off: every new alert opens a case'
    : 'correlation is off: every new alert opens a case';
}

/** The stored ingest rules changed since the caller read them; the batch stored nothing. */
export class IngestSettingsChanged extends Error {
  constructor(readonly stored: Awaited<ReturnType<typeof findIngestSettingsJson>>) {
    super('the stored ingest settings changed');
  }
}

/**
 * Stores one batch inside the caller's transaction, set-wise: a handful of statements look up every
 * event id, fingerprint, rule and observable of the batch at once, then the items are decided in order
 * against those answers plus what earlier items of the batch did, exactly as if stored one by one.
 */
export async function storeBatch(
  ctx: AppContext,
  trx: Transaction<Database>,
  source: string,
  batch: readonly Mapped[],
  actor: Actor,
  settings: IngestSettings,
  now: number,
  /**
   * The stored rules text `settings` were read from (null: none stored, the defaults), checked in the
   * batch's first round trip; without it, `settings` are the caller's own and apply as given.
   */
  settingsFrom?: { storedText: string | null },
): Promise<StoredOutcome[]> {
  const fps = batch.map((m) => fingerprintUnder(source, m, settings.fingerprintKeys));
  const eventIds = batch.flatMap((m) => (m.alert.sourceEventId ? [m.alert.sourceEventId] : []));
  type Prior = Map<string, { id: string; caseId: string | null }>;
  type Stored = Awaited<ReturnType<typeof findIngestSettingsJson>>;
  const dedupSince = now - settings.dedup.windowMs;
  const { concurrentWriters } = ctx.store.dialect;
  // Every rule of the batch, when alerts group by rule: new ones among them are known only later.
  const batchRules =
    concurrentWriters && settings.correlation.enabled && settings.correlation.byRule
      ? batch.flatMap((m) =>
          m.alert.origin.ruleId ? [{ product: m.alert.origin.product, ruleId: m.alert.origin.ruleId }] : [],
        )
      : [];
  // Independent lookups: one round trip on PostgreSQL, with the source's lock (see `OverlappedIngest`) and
  // its rules' (other sources' transactions with alerts of these rules wait, or are waited for).
  const [known, recent, stored] = await readTogether<[Prior, Prior, Stored, void, void]>(
    trx,
    ctx.store.dialect,
    [
      (db) => findAlertsBySourceEventIds(db, source, eventIds),
      (db) =>
        settings.dedup.enabled ? findRecentByFingerprints(db, fps, dedupSince) : Promise.resolve(new Map()),
      (db) => (settingsFrom ? findIngestSettingsJson(db) : Promise.resolve(undefined)),
      (db) => (concurrentWriters ? lockIngestSource(db, source) : Promise.resolve()),
      (db) => lockDetectionRules(db, batchRules),
    ],
  );
  // Nothing is written yet: the caller starts again with the rules now in force.
  if (settingsFrom && (stored?.settings ?? null) !== settingsFrom.storedText)
    throw new IngestSettingsChanged(stored);

  // Pass 1: duplicates (retries and repeats) versus new alerts, in order.
  const outcomes: Array<StoredOutcome | undefined> = new Array(batch.length);
  /** Repeats of stored alerts, by id: their rows are updated. */
  const repeats = new Map<string, number>();
  /**
   * Repeats of alerts new in this batch, by id: their rows do not exist yet, so the count goes into the
   * insert. Their duplicates' answers get the new alert's case once it is decided (pass 2).
   */
  const freshRepeats = new Map<string, number>();
  const fresh: Array<{ i: number; id: string; fp: string }> = [];
  const freshIds = new Set<string>();
  /** Event ids of repeats, with the alert each was counted on: a retry of one must not count it again. */
  const repeatEventIds: Array<{ eventId: string; alertId: string }> = [];
  batch.forEach((m, i) => {
    const where = positionOf(m);
    const eventId = m.alert.sourceEventId;
    const prior = eventId ? known.get(eventId) : undefined;
    if (prior) {
      outcomes[i] = {
        ...where,
        status: 'duplicate',
        alertId: prior.id,
        caseId: prior.caseId,
        reason: 'source_event_id',
      };
      return;
    }
    const fp = fps[i] as string;
    const same = recent.get(fp);
    if (same) {
      const counted = freshIds.has(same.id) ? freshRepeats : repeats;
      counted.set(same.id, (counted.get(same.id) ?? 0) + 1);
      if (eventId) {
        repeatEventIds.push({ eventId, alertId: same.id });
        // A retry later in this batch is one too.
        known.set(eventId, same);
      }
      outcomes[i] = {
        ...where,
        status: 'duplicate',
        alertId: same.id,
        caseId: same.caseId,
        reason: 'fingerprint',
      };
      return;
    }
    const id = ctx.newId();
    fresh.push({ i, id, fp });
    freshIds.add(id);
    if (eventId) known.set(eventId, { id, caseId: null });
    if (settings.dedup.enabled) recent.set(fp, { id, caseId: null });
  });
  if (fresh.length === 0) {
    // Nothing else to write: the repeats' counts and event ids go together (one statement on PostgreSQL).
    const writes = deferWrites(trx, ctx.store.dialect);
    await recordRepeats(writes.db, repeats, now);
    await recordRepeatEventIds(writes.db, source, repeatEventIds, now);
    await writes.flush();
    return outcomes as StoredOutcome[];
  }
  // Not with the writes below: both touch the case links of a case that a repeat and a new alert share.
  await recordRepeats(trx, repeats, now);

  // Pass 2: correlate the new alerts against open cases, and against each other.
  const obsIds = await upsertObservables(
    trx,
    { newId: ctx.newId },
    fresh.flatMap((f) => batch[f.i]?.alert.observables ?? []),
    now,
  );
  // Each observable's stored id, looked up once: the decisions below ask for it several times.
  const idByObservable = new Map<Observable, string>();
  for (const f of fresh)
    for (const o of batch[f.i]?.alert.observables ?? []) {
      const id = obsIds.get(`${o.type}:${o.value}`);
      if (id) idByObservable.set(o, id);
    }
  const idOf = (o: Observable): string | undefined => idByObservable.get(o);
  const rules = settings.correlation;
  const byRuleOn = rules.enabled && rules.byRule;
  const openSince = now - rules.windowMs;
  const byRule = new Map<string, { caseId: string; lastSeen: number }>();
  const byObs = new Map<string, { caseId: string; lastSeen: number }>();
  const keep = (
    map: Map<string, { caseId: string; lastSeen: number }>,
    key: string,
    caseId: string,
    lastSeen: number,
  ): void => {
    const cur = map.get(key);
    if (!cur || lastSeen >= cur.lastSeen) map.set(key, { caseId, lastSeen });
  };
  const ruleRefs = fresh.flatMap((f) => {
    const origin = batch[f.i]?.alert.origin;
    return origin?.ruleId ? [{ product: origin.product, ruleId: origin.ruleId }] : [];
  });
  const isSignificant = isSignificantUnder(rules);
  const significant = new Map(
    fresh.map((f) => [
      f.i,
      rules.enabled && rules.byObservable ? (batch[f.i]?.alert.observables ?? []).filter(isSignificant) : [],
    ]),
  );
  const significantIds: string[] = [];
  for (const list of significant.values())
    for (const o of list) {
      const id = idOf(o);
      if (id) significantIds.push(id);
    }
  const freshEventIds = fresh.flatMap((f) => {
    const eventId = batch[f.i]?.alert.sourceEventId;
    return eventId ? [eventId] : [];
  });
  const freshFps = fresh.map((f) => f.fp);
  // Independent lookups: one round trip on PostgreSQL. There the source's lock is held since the first lookups,
  // so these see every alert and case the source's other transactions committed; the new alerts are looked up
  // again with them (`OverlappedIngest`).
  const [ruleHits, observableHits, byEventIdNow, byFingerprintNow, sla] = await readTogether<
    [
      Awaited<ReturnType<typeof findOpenCasesByRules>>,
      Awaited<ReturnType<typeof findOpenCasesByObservables>>,
      Prior,
      Prior,
      StoredSlaPolicies | undefined,
    ]
  >(trx, ctx.store.dialect, [
    (db) => (byRuleOn ? findOpenCasesByRules(db, ruleRefs, openSince) : Promise.resolve([])),
    (db) =>
      rules.enabled && rules.byObservable
        ? findOpenCasesByObservables(db, significantIds, openSince)
        : Promise.resolve([]),
    (db) =>
      concurrentWriters ? findAlertsBySourceEventIds(db, source, freshEventIds) : Promise.resolve(new Map()),
    (db) =>
      concurrentWriters && settings.dedup.enabled
        ? findRecentByFingerprints(db, freshFps, dedupSince)
        : Promise.resolve(new Map()),
    // For cases this batch may open, read here rather than in a round trip of its own (see `createCases`).
    (db) => (ctx.store.dialect.roundTrips ? loadSlaPolicies(db) : Promise.resolve(undefined)),
  ]);
  if (byEventIdNow.size > 0 || byFingerprintNow.size > 0) throw new OverlappedIngest();
  for (const r of ruleHits) keep(byRule, ruleKey(r.product, r.ruleId), r.caseId, r.lastSeen);
  for (const r of observableHits) keep(byObs, r.observableId, r.caseId, r.lastSeen);

  const rows: NewAlertRow[] = [];
  const links: Array<{ alertId: string; observableId: string; role: string }> = [];
  const caseObservables = new Map<string, string[]>();
  const opening: Array<NewCase & { id: string }> = [];
  for (const f of fresh) {
    const m = batch[f.i] as Mapped;
    const { alert } = m;
    let caseId: string | undefined;
    let correlation: Correlation | undefined;
    // Only when rule correlation is on: else alerts of one batch would join by rule where alone they do not.
    const rk =
      byRuleOn && alert.origin.ruleId ? ruleKey(alert.origin.product, alert.origin.ruleId) : undefined;
    const ruleHit = rk ? byRule.get(rk) : undefined;
    if (ruleHit) {
      caseId = ruleHit.caseId;
      correlation = {
        decision: 'joined_case',
        rule: 'same_rule',
        reason: `same rule as an open case's alert (${ruleName(alert.origin)}) within the last ${formatDuration(rules.windowMs)}`,
        windowMs: rules.windowMs,
        caseId,
      };
    } else {
      let best: { o: { type: string; value: string }; caseId: string; lastSeen: number } | undefined;
      for (const o of significant.get(f.i) ?? []) {
        const hit = byObs.get(idOf(o) ?? '');
        if (hit && (!best || hit.lastSeen > best.lastSeen)) best = { o, ...hit };
      }
      if (best) {
        caseId = best.caseId;
        correlation = {
          decision: 'joined_case',
          rule: 'shared_observable',
          reason: `shares ${best.o.type} ${best.o.value} with an open case, seen there within the last ${formatDuration(rules.windowMs)}`,
          matched: [{ type: best.o.type, value: best.o.value }],
          windowMs: rules.windowMs,
          caseId,
        };
      }
    }
    const caseCreated = caseId === undefined;
    if (!caseId || !correlation) {
      // Opened with the batch's other new cases after the loop; later alerts of the batch can join it now.
      caseId = ctx.newId();
      correlation = {
        decision: 'new_case',
        rule: 'none',
        reason: newCaseReason(rules),
        windowMs: rules.windowMs,
        caseId,
      };
      opening.push({
        id: caseId,
        title: alert.title,
        severity: alert.severity,
        actor,
        origin: { alertId: f.id, source, reason: correlation.reason },
      });
    }
    // Later alerts of this batch see this one, as they would had it been stored alone.
    if (rk) keep(byRule, rk, caseId, now);
    for (const o of significant.get(f.i) ?? []) {
      const oid = idOf(o);
      if (oid) keep(byObs, oid, caseId, now);
    }
    rows.push({
      id: f.id,
      source,
      mapper: m.mapper,
      fingerprint: f.fp,
      alert,
      rawText: m.rawText,
      receivedFrom: m.receivedFrom,
      caseId,
      correlation,
      now,
      count: 1 + (freshRepeats.get(f.id) ?? 0),
    });
    const ids: string[] = [];
    for (const o of alert.observables) {
      const oid = idOf(o);
      if (!oid) continue;
      links.push({ alertId: f.id, observableId: oid, role: o.role });
      ids.push(oid);
    }
    const held = caseObservables.get(caseId);
    if (held) held.push(...ids);
    else caseObservables.set(caseId, ids);
    outcomes[f.i] = {
      ...positionOf(m),
      status: 'accepted',
      alertId: f.id,
      caseId,
      caseCreated,
    };
  }

  // PostgreSQL: the existing cases the batch's alerts join, locked until commit and read again. A merge or
  // close (which locks the case row for update) committed since the lookups leaves its case out: rather than
  // put alerts into a closed case, the batch runs again. One that starts now waits for this commit.
  const openingIds = new Set(opening.map((c) => c.id));
  const joinedCases = [...new Set(rows.map((r) => r.caseId as string))].filter((id) => !openingIds.has(id));
  if (concurrentWriters && joinedCases.length > 0) {
    const stillOpen = await lockOpenCases(trx, joinedCases);
    if (stillOpen.size < joinedCases.length) throw new JoinedCaseClosed();
  }

  // Retries and repeats of this batch's new alerts answer with the case their alert went to.
  const caseOf = new Map(rows.map((r) => [r.id, r.caseId]));
  for (const o of outcomes)
    if (o?.status === 'duplicate' && freshIds.has(o.alertId)) o.caseId = caseOf.get(o.alertId) ?? null;

  // The rest are independent writes whose results nobody reads: on PostgreSQL they go as one statement.
  const writes = deferWrites(trx, ctx.store.dialect);
  await createCases(trx, { newId: ctx.newId }, opening, now, {
    writes: writes.db,
    ...(sla ? { policies: sla.policies } : {}),
  });
  await insertAlerts(writes.db, rows);
  await recordRepeatEventIds(writes.db, source, repeatEventIds, now);
  await countStoredAlerts(writes.db, rows);
  await insertAlertObservables(writes.db, links);
  await addObservablesToCases(writes.db, caseObservables, 'alert', now);
  await appendAlertsAddedEvents(
    writes.db,
    { newId: ctx.newId },
    actor,
    rows.map((r) => ({ caseId: r.caseId as string, alertId: r.id, reason: r.correlation?.reason })),
    now,
  );
  // One trigger job for the batch's alerts (the trigger worker reads and matches each).
  await enqueueJobs(
    writes.db,
    { dialect: ctx.store.dialect, newId: ctx.newId },
    [
      {
        queue: 'triggers',
        kind: 'alerts.created',
        payload: {
          alerts: fresh.map((f) => {
            const o = outcomes[f.i];
            const accepted = o?.status === 'accepted' ? o : undefined;
            return { alertId: f.id, caseId: accepted?.caseId, caseCreated: accepted?.caseCreated ?? false };
          }),
        },
        dedupeKey: `alerts.created:${fresh[0]?.id}`,
      },
    ],
    now,
  );
  await writes.flush();
  return outcomes as StoredOutcome[];
}
