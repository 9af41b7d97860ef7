import type { Actor } from '../../domain/shared/actor.js';
import type { AppContext } from '../context.js';
import { ingestAlerts, type IngestInput, type IngestResult, type ItemOutcome } from './ingest-alerts.js';
import type { IngestSettings } from './ingest-settings.js';

/** Stores many small ingest calls in shared transactions; each caller still gets only its own answer. */
export interface IngestBatcher {
  submit(input: IngestInput, actor: Actor): Promise<IngestResult>;
}

interface Pending {
  input: IngestInput;
  actor: Actor;
  resolve: (result: IngestResult) => void;
  reject: (err: unknown) => void;
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
 * Group commit for single-alert requests: while one transaction is running, requests for the same source,
 * mapper and caller queue up, and the next transaction takes them all (up to `maxItems`). A lone request
 * waits for nothing; under load, one commit acknowledges many requests. Every caller is answered only
 * after the transaction holding its alerts committed, and a failed transaction fails all of its callers.
 */
export function createIngestBatcher(
  ctx: AppContext,
  /** Fixed rules; without them, each transaction applies the operator's stored rules. */
  settings?: IngestSettings,
  maxItems = 500,
): IngestBatcher {
  const lanes = new Map<string, Pending[]>();

  const drain = async (key: string, queue: Pending[]): Promise<void> => {
    let lastTaken = 0;
    while (queue.length > 0) {
      // Yield once to the event loop so requests already read off their sockets can join this transaction.
      // On SQLite the driver is synchronous: without this, a transaction completes in microtasks before any
      // other request reaches the queue, and every request pays for its own commit.
      await new Promise<void>((resolve) => setImmediate(resolve));
      // The callers just answered often send again at once. A few more turns (no timer: an idle loop
      // turns in microseconds) let them join, instead of one straggler's transaction running alone while
      // they queue behind it, which doubled commits and the tail latency under steady concurrency.
      for (let turn = 0; turn < 3 && queue.length < lastTaken / 2; turn += 1)
        await new Promise<void>((resolve) => setImmediate(resolve));
      const take: Pending[] = [];
      let count = 0;
      while (
        queue.length > 0 &&
        (take.length === 0 || count + (queue[0]?.input.items.length ?? 0) <= maxItems)
      ) {
        const next = queue.shift() as Pending;
        take.push(next);
        count += next.input.items.length;
      }
      lastTaken = take.length;
      const first = take[0] as Pending;
      try {
        const result = await ingestAlerts(
          ctx,
          { ...first.input, items: take.flatMap((p) => p.input.items), firstIndex: 0 },
          first.actor,
          settings,
        );
        let offset = 0;
        for (const p of take) {
          const end = offset + p.input.items.length;
          const start = offset;
          p.resolve(
            summarize(
              result.items
                .filter((i) => i.index >= start && i.index < end)
                .map((i) => ({ ...i, index: i.index - start })),
            ),
          );
          offset = end;
        }
      } catch (err) {
        for (const p of take) p.reject(err);
      }
    }
    lanes.delete(key);
  };

  return {
    submit(input, actor) {
      return new Promise<IngestResult>((resolve, reject) => {
        const key = JSON.stringify([
          input.source,
          input.mapper ?? null,
          input.mapperConfig ?? null,
          actor.type,
          actor.id,
        ]);
        const queue = lanes.get(key);
        if (queue) {
          queue.push({ input, actor, resolve, reject });
          return;
        }
        const fresh: Pending[] = [{ input, actor, resolve, reject }];
        lanes.set(key, fresh);
        void drain(key, fresh);
      });
    },
  };
}
