import type { Actor } from '../../domain/shared/actor.js';
import type { AppContext } from '../context.js';
import { createGroupCommit, type BatchOutcome, type GroupCommit } from '../group-commit.js';
import { ingestAlerts, type IngestInput, type IngestResult, type ItemOutcome } from './ingest-alerts.js';
import type { IngestSettings } from './ingest-settings.js';

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

  const flush = async (take: Pending[]): Promise<Array<BatchOutcome<IngestResult>>> => {
    const first = take[0] as Pending;
    const result = await ingestAlerts(
      ctx,
      { ...first.input, items: take.flatMap((p) => p.input.items), firstIndex: 0 },
      first.actor,
      settings,
    );
    // One outcome per item, sorted by index: each caller's are the slice its items took.
    let offset = 0;
    return take.map((p) => {
      const start = offset;
      offset += p.input.items.length;
      return {
        value: summarize(result.items.slice(start, offset).map((i) => ({ ...i, index: i.index - start }))),
      };
    });
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
