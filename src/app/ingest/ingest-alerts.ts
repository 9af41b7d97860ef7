import type { Actor } from '../../domain/shared/actor.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { lockIngestSource } from '../../store/alerts/ingest-lock.repository.js';
import type { AppContext } from '../context.js';
import { rememberStoredRules, rulesInForce } from './configure-ingest.js';
import type { IngestSettings, RulesRead } from './ingest-settings.js';
import { mapItem, type IngestItem, type MappedItem } from './map-item.js';
import {
  IngestSettingsChanged,
  OverlappedIngest,
  positionOf,
  storeBatch,
  type Mapped,
  type StoredOutcome,
} from './store-batch.js';

export type { IngestItem } from './map-item.js';

/** An item with the network address it was delivered from, when it says (a syslog message's sender). */
export type DeliveredItem = IngestItem & { receivedFrom?: string | undefined };

export interface IngestInput {
  /** The ingest source's name (recorded on every alert; idempotency is per source). */
  source: string;
  /** A mapper name or `auto` (the default). */
  mapper?: string;
  mapperConfig?: unknown;
  items: readonly DeliveredItem[];
  /** Where the items were delivered from, for those that do not say: the HTTP client's address, say. */
  receivedFrom?: string | undefined;
  /** Index of the first item in the caller's larger batch (streamed NDJSON), for the answer. */
  firstIndex?: number;
}

/** What became of one item: stored (accepted or a duplicate, see `StoredOutcome`), or rejected before storing. */
export type ItemOutcome =
  StoredOutcome | { index: number; line?: number; status: 'rejected'; reason: string; path?: string };

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Cases opened by this call. */
  casesCreated: number;
  /** Every case an accepted alert went to (opened or joined), once each. */
  caseIds: string[];
  items: ItemOutcome[];
}

/**
 * A call whose later step failed after its earlier steps committed: `stored` is what those steps stored (and
 * the items refused before storing), `notStoredFrom` the index of the first item not stored, `cause` what
 * failed. The caller says so, so that a sender resends only the rest.
 */
export class IngestInterrupted extends Error {
  constructor(
    readonly stored: IngestResult,
    readonly notStoredFrom: number,
    override readonly cause: unknown,
  ) {
    super(`items before index ${notStoredFrom} were stored, the rest not: ${String(cause)}`, { cause });
    this.name = 'IngestInterrupted';
  }
}

/**
 * Steps of at least this many alerts are bulk writes (a stream's steps, a large array): before one, the store
 * may wait a little, holding no lock, for background work that makes it cheaper, and once one has committed
 * that work may start (StoreDialect's `beforeBulkWrite` and `afterBulkWrite`). Smaller ones, groups of
 * single POSTs among them, never wait: their senders are waiting for the answer, and commits that come close
 * together are copied back after each one anyway.
 */
const BULK_STEP_ALERTS = 100;

/**
 * Lets the event loop serve what is waiting (other requests' sockets, timers) between two committed steps.
 * On SQLite a step runs start to commit without giving the loop back (the driver is synchronous), and a
 * stream of steps would otherwise hold every other request of the process until its very end.
 */
export const yieldToOtherWork = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The ingest pipeline: map → de-duplicate → correlate → store, in transactions of `batchSize` items. An
 * alert counts as accepted only once its transaction committed, together with its case, its timeline
 * event, its trigger job and the batch's audit entry. Bad items are rejected with a reason; they never
 * stop the good ones. Without `settings`, the operator's stored rules apply (see `rulesInForce`), checked
 * in each batch's transaction.
 */
export async function ingestAlerts(
  ctx: AppContext,
  input: IngestInput,
  actor: Actor,
  given?: IngestSettings,
): Promise<IngestResult> {
  // Rules first, then the time alerts without one are given: the order this always had.
  if (!given) await rulesInForce(ctx);
  const now = ctx.clock.now();
  const options = { mapper: input.mapper, mapperConfig: input.mapperConfig, now };
  return storeMappedItems(
    ctx,
    {
      source: input.source,
      firstIndex: input.firstIndex,
      receivedFrom: input.receivedFrom,
      items: input.items.map((item) => ({
        line: item.line,
        receivedFrom: item.receivedFrom,
        mapped: mapItem(item, options),
      })),
    },
    actor,
    given,
  );
}

/**
 * The storing half of `ingestAlerts`, for items mapped already (by a mapping thread, see ingest-stream.ts):
 * rejects what did not map and stores the rest, with the same answers, transactions and audit entries.
 */
export async function storeMappedItems(
  ctx: AppContext,
  input: {
    source: string;
    firstIndex?: number | undefined;
    /** Where the items were delivered from, for those that do not say (one HTTP request's, say). */
    receivedFrom?: string | undefined;
    items: ReadonlyArray<{
      line?: number | undefined;
      receivedFrom?: string | undefined;
      mapped: MappedItem;
    }>;
  },
  actor: Actor,
  given?: IngestSettings,
): Promise<IngestResult> {
  // The caller's own rules apply as given; else the rules in force, checked in each batch's transaction.
  let read: RulesRead | undefined;
  let settings: IngestSettings;
  if (given) settings = given;
  else {
    read = await rulesInForce(ctx);
    settings = read.settings;
  }
  const result: IngestResult = {
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    casesCreated: 0,
    caseIds: [],
    items: [],
  };
  const caseIds = new Set<string>();
  const base = input.firstIndex ?? 0;
  const mapped: Mapped[] = [];
  input.items.forEach(({ line, receivedFrom, mapped: m }, i) => {
    if (m.ok) {
      mapped.push({
        index: base + i,
        line,
        alert: m.alert,
        mapper: m.mapper,
        rawText: m.rawText,
        fingerprint: m.fingerprint,
        receivedFrom: receivedFrom ?? input.receivedFrom,
      });
    } else {
      result.rejected += 1;
      result.items.push({
        index: base + i,
        line,
        status: 'rejected',
        reason: m.reason,
        path: m.path,
      });
    }
  });
  count(ctx, input.source, 'rejected', result.rejected);
  let createdAny = false;
  /** Takes a committed piece's outcomes into the answer as soon as it committed. */
  const record = (outcomes: readonly ItemOutcome[]): void => {
    for (const o of outcomes) {
      result.items.push(o);
      if (o.status === 'accepted') {
        result.accepted += 1;
        caseIds.add(o.caseId);
        if (o.caseCreated) result.casesCreated += 1;
        createdAny = true;
      } else if (o.status === 'duplicate') result.duplicates += 1;
      else result.rejected += 1;
    }
  };
  /** One step: its items stored in one transaction, with the step's audit entry. */
  const storeStep = (chunk: readonly Mapped[]): Promise<ItemOutcome[]> => {
    const at = ctx.clock.now();
    const settingsFrom = read ? { storedText: read.storedText } : undefined;
    return retryOnConflict((overlapped) =>
      ctx.store.db.transaction().execute(async (trx) => {
        // Overlapped once: the lock before any lookup, in a round trip of its own, so it cannot be again.
        if (overlapped) await lockIngestSource(trx, input.source);
        const out: ItemOutcome[] = await storeBatch(
          ctx,
          trx,
          input.source,
          chunk,
          actor,
          settings,
          at,
          settingsFrom,
        );
        await appendAudit(
          trx,
          { dialect: ctx.store.dialect },
          {
            actor,
            action: 'alerts.ingested',
            target: { type: 'ingest_source', id: input.source },
            details: { ...tally(out), rejected: result.rejected, items: chunk.length },
          },
          at,
        );
        return out;
      }),
    );
  };
  /**
   * Stores `chunk` in order, recording each piece as it commits: again with the rules now in force when they
   * changed meanwhile (in steps of the batch size now in force); and when the store refused the step's data
   * (an item it cannot hold), in halves, down to the item it refuses, which alone is rejected: one such item
   * must not fail the others, nor stop a stream at its line for good.
   */
  const storeOrIsolate = async (chunk: readonly Mapped[]): Promise<void> => {
    try {
      record(await storeStep(chunk));
    } catch (err) {
      if (err instanceof IngestSettingsChanged) {
        read = rememberStoredRules(ctx, err.stored);
        settings = read.settings;
        for (let i = 0; i < chunk.length;) {
          const piece = lineAlignedStep(chunk, i, settings.batchSize);
          await storeOrIsolate(piece);
          i += piece.length;
        }
        return;
      }
      if (!refusedByStore(err)) throw err;
      const only = chunk[0];
      if (chunk.length === 1 && only) {
        ctx.log.warn({ err, source: input.source, line: only.line }, 'the store refused an alert');
        record([{ ...positionOf(only), status: 'rejected', reason: `the store refused it: ${String(err)}` }]);
        return;
      }
      const half = Math.ceil(chunk.length / 2);
      const rejectedBefore = result.rejected;
      await storeOrIsolate(chunk.slice(0, half));
      await storeOrIsolate(chunk.slice(half));
      // Every item refused alone: the refusal was not any item's (a trigger, a shared row), and nothing of the
      // step was stored. The step fails as it failed, rather than each item being answered as refused.
      if (result.rejected - rejectedBefore === chunk.length) {
        unrecord(chunk.length);
        throw err;
      }
    }
  };
  /** Takes back the last `n` outcomes `record` took, all refusals: the step they were made for fails instead. */
  const unrecord = (n: number): void => {
    result.rejected -= result.items.splice(result.items.length - n, n).length;
  };
  const mappingRejects = result.rejected;
  const countStored = (): void => {
    count(ctx, input.source, 'accepted', result.accepted);
    count(ctx, input.source, 'duplicate', result.duplicates);
    count(ctx, input.source, 'rejected', result.rejected - mappingRejects);
  };
  for (let start = 0; start < mapped.length;) {
    if (start > 0) await yieldToOtherWork();
    const chunk = lineAlignedStep(mapped, start, settings.batchSize);
    if (chunk.length >= BULK_STEP_ALERTS) await ctx.store.dialect.beforeBulkWrite?.();
    const outcomesBefore = result.items.length;
    try {
      await storeOrIsolate(chunk);
    } catch (err) {
      // The chunk's pieces are stored in order: those recorded are its first items.
      const notStoredFrom = (chunk[result.items.length - outcomesBefore] ?? (chunk[0] as Mapped)).index;
      if (notStoredFrom === (mapped[0] as Mapped).index) throw err;
      // Some items are stored: they must be told, or a retry counts them again.
      countStored();
      if (createdAny) void ctx.store.notifier.notify('queue:triggers').catch(() => undefined);
      throw new IngestInterrupted(storedBefore(result, notStoredFrom, caseIds), notStoredFrom, err);
    }
    if (chunk.length >= BULK_STEP_ALERTS) ctx.store.dialect.afterBulkWrite?.();
    start += chunk.length;
  }
  countStored();
  if (mapped.length === 0 && result.rejected > 0)
    await auditRejectedOnly(ctx, input.source, actor, result.rejected);
  // Wake the trigger workers only after the commit, so they find the jobs. Not awaited: the wake-up is best
  // effort (workers poll too), and on PostgreSQL waiting for it held every caller's answer one round trip.
  if (createdAny) void ctx.store.notifier.notify('queue:triggers').catch(() => undefined);
  result.caseIds = [...caseIds];
  result.items.sort((a, b) => a.index - b.index);
  return result;
}

/** Adds to this process's ingest counters (the scrape's `riposte_ingest_alerts_total`). */
const count = (ctx: AppContext, source: string, outcome: string, n: number): void =>
  ctx.counters.add('ingestAlerts', { source, outcome }, n);

/**
 * The items from `start` a step takes: `size` of them, and the rest of the last one's line (a JSON array line
 * of a stream), so a step never stores part of a line and a broken call can say which lines are stored.
 */
function lineAlignedStep(items: readonly Mapped[], start: number, size: number): Mapped[] {
  let end = Math.min(items.length, start + size);
  const line = items[end - 1]?.line;
  if (line !== undefined) while (end < items.length && items[end]?.line === line) end += 1;
  return items.slice(start, end);
}

/** What a call stored before `notStoredFrom` (refusals before it included), for IngestInterrupted. */
function storedBefore(result: IngestResult, notStoredFrom: number, caseIds: Set<string>): IngestResult {
  const items = result.items.filter((o) => o.index < notStoredFrom).sort((a, b) => a.index - b.index);
  const counts = tally(items);
  return {
    accepted: counts.accepted,
    duplicates: counts.duplicates,
    rejected: counts.rejected,
    casesCreated: items.filter((o) => o.status === 'accepted' && o.caseCreated).length,
    caseIds: [...caseIds],
    items,
  };
}

const tally = (out: readonly ItemOutcome[]): { accepted: number; duplicates: number; rejected: number } => ({
  accepted: out.filter((o) => o.status === 'accepted').length,
  duplicates: out.filter((o) => o.status === 'duplicate').length,
  rejected: out.filter((o) => o.status === 'rejected').length,
});

/**
 * The store refused what an item holds, not the transaction as such: PostgreSQL's data exceptions (class 22:
 * text it cannot store, a number out of range) and program limits (54: an index row too large); SQLite's too
 * big or mistyped values and failed checks. Anything else (a lost connection, a full disk) fails the request.
 */
function refusedByStore(err: unknown): boolean {
  const code = String((err as { code?: unknown }).code ?? '');
  return (
    /^(22|54)[0-9A-Z]{3}$/.test(code) ||
    code === 'SQLITE_TOOBIG' ||
    code === 'SQLITE_MISMATCH' ||
    code === 'SQLITE_CONSTRAINT_CHECK'
  );
}

async function auditRejectedOnly(
  ctx: AppContext,
  source: string,
  actor: Actor,
  rejected: number,
): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute((trx) =>
    appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor,
        action: 'alerts.ingested',
        target: { type: 'ingest_source', id: source },
        outcome: 'failure',
        details: { accepted: 0, duplicates: 0, rejected },
      },
      now,
    ),
  );
}

/**
 * Two writers storing the same source event at once: one commits, the other hits the unique index and rolls
 * back. Run again, it finds the committed alert and answers `duplicate`, as a retry by the sender would.
 * Deadlocks and serialisation failures (PostgreSQL), and a batch that another of its source's transactions
 * overlapped (`OverlappedIngest`), are retried the same way.
 */
export async function retryOnConflict<T>(run: (overlapped: boolean) => Promise<T>, attempts = 3): Promise<T> {
  let overlapped = false;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run(overlapped);
    } catch (err) {
      overlapped ||= err instanceof OverlappedIngest;
      const code = String((err as { code?: unknown }).code ?? '');
      const retryable =
        err instanceof OverlappedIngest ||
        code === '23505' ||
        code === '40P01' ||
        code === '40001' ||
        code === 'SQLITE_CONSTRAINT_UNIQUE' ||
        code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
      if (!retryable || attempt >= attempts) throw err;
    }
  }
}
