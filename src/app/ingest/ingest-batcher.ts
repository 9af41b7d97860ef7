import type { Actor } from '../../domain/shared/actor.js';
import type { AppContext } from '../context.js';
import { createGroupCommit, type BatchOutcome, type GroupCommit } from '../group-commit.js';
import {
  IngestInterrupted,
  ingestAlerts,
  type DeliveredItem,
  type IngestInput,
  type IngestResult,
  type ItemOutcome,
} from './ingest-alerts.js';
import { rulesInForce } from './configure-ingest.js';
import type { IngestSettings } from './ingest-settings.js';

/**
 * Callers in order, cut into groups of at most `batchSize` alerts (a caller with more is a group alone): each
 * group is one transaction of `ingestAlerts`.
 */
function callerGroups(take: readonly Pending[], batchSize: number): Pending[][] {
  const groups: Pending[][] = [];
  let group: Pending[] = [];
  let items = 0;
  for (const p of take) {
    const n = p.input.items.length;
    if (group.length > 0 && items + n > batchSize) {
      groups.push(group);
      group = [];
      items = 0;
    }
    group.push(p);
    items += n;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** A caller's items, each saying where it was delivered from: callers of one transaction may differ. */
const deliveredItems = ({ input }: Pending): readonly DeliveredItem[] =>
  input.receivedFrom === undefined
    ? input.items
    : input.items.map((item) => ({ ...item, receivedFrom: item.receivedFrom ?? input.receivedFrom }));

/** Stores many small ingest calls in shared transactions; each caller still gets only its own answer. */
export interface IngestBatcher {
  submit(input: IngestInput, actor: Actor): Promise<IngestResult>;
}

interface Pending {
  input: IngestInput;
  actor: Actor;
}

function summarize(items: ItemOutcome[]): IngestResult {
  const caseIds = new Set<string>();
  let accepted = 0;
  let duplicates = 0;
  let casesCreated = 0;
  for (const i of items) {
    if (i.status === 'accepted') {
      accepted += 1;
      caseIds.add(i.caseId);
      if (i.caseCreated) casesCreated += 1;
    } else if (i.status === 'duplicate') duplicates += 1;
  }
  return {
    accepted,
    duplicates,
    rejected: items.length - accepted - duplicates,
    casesCreated,
    caseIds: [...caseIds],
    items,
  };
}

/**
 * How long a transaction waits for as many senders as recent transactions held (createGroupCommit's
 * `gatherMs`). Over real sockets, 16 keep-alive clients came back a round trip apart and transactions took
 * 5.8 alerts on average instead of 16, paying a commit and a dozen statements each.
 */
const GATHER_MS = 2;

/**
 * Group commit for single-alert requests (see createGroupCommit): requests for the same source, mapper and
 * caller share a transaction of up to `maxItems` alerts. Every caller is answered only after the transaction
 * holding its alerts committed, and a failed transaction fails all of its callers.
 */
export function createIngestBatcher(
  ctx: AppContext,
  /** Fixed rules; without them, each transaction applies the operator's stored rules. */
  settings?: IngestSettings,
  maxItems = 500,
): IngestBatcher {
  const lanes = new Map<string, GroupCommit<Pending, IngestResult>>();

  /** One transaction's worth of callers, stored together; each caller answered with its own items. */
  const storeTogether = async (group: Pending[]): Promise<Array<BatchOutcome<IngestResult>>> => {
    const first = group[0] as Pending;
    let result: IngestResult;
    let brokenFrom = Infinity;
    let broken: unknown;
    try {
      result = await ingestAlerts(
        ctx,
        { ...first.input, items: group.flatMap(deliveredItems), receivedFrom: undefined, firstIndex: 0 },
        first.actor,
        settings,
      );
    } catch (err) {
      if (!(err instanceof IngestInterrupted)) throw err;
      // Part of the transaction's items are stored (a refused item was set apart, then another broke):
      // callers whose items all are get their answer, the others the error.
      ({ stored: result, notStoredFrom: brokenFrom, cause: broken } = err);
    }
    // One outcome per item, sorted by index: each caller's are the slice its items took.
    let offset = 0;
    return group.map((p): BatchOutcome<IngestResult> => {
      const start = offset;
      offset += p.input.items.length;
      if (offset > brokenFrom) return { error: broken };
      return {
        value: summarize(result.items.slice(start, offset).map((i) => ({ ...i, index: i.index - start }))),
      };
    });
  };

  const flush = async (take: Pending[]): Promise<Array<BatchOutcome<IngestResult>>> => {
    const { batchSize } = settings ?? (await rulesInForce(ctx)).settings;
    const outcomes: Array<BatchOutcome<IngestResult>> = [];
    // Transactions are cut between callers only, so a caller whose alerts committed is told so whatever
    // becomes of another transaction of the batch; before, one failure failed every caller of the batch,
    // and those whose alerts had committed counted them twice when they sent them again.
    for (const group of callerGroups(take, batchSize)) {
      try {
        outcomes.push(...(await storeTogether(group)));
      } catch (error) {
        for (const _ of group) outcomes.push({ error });
      }
    }
    return outcomes;
  };

  return {
    submit(input, actor) {
      const key = JSON.stringify([
        input.source,
        input.mapper ?? null,
        input.mapperConfig ?? null,
        actor.type,
        actor.id,
      ]);
      let lane = lanes.get(key);
      if (!lane) {
        const fresh = createGroupCommit<Pending, IngestResult>({
          flush,
          maxWeight: maxItems,
          weight: (p) => p.input.items.length,
          gatherMs: GATHER_MS,
          onIdle: () => {
            if (lanes.get(key) === fresh) lanes.delete(key);
          },
        });
        lanes.set(key, fresh);
        lane = fresh;
      }
      return lane.submit({ input, actor });
    },
  };
}
