/** One item's answer from a batch: its value, or the error that failed it. */
export type BatchOutcome<O> = { value: O } | { error: unknown };

export interface GroupCommitOptions<I, O> {
  /**
   * Commits one batch and answers each item, in order. A throw fails every item of the batch; a flush that
   * can tell which item failed answers that one with its error instead.
   */
  flush: (items: I[]) => Promise<Array<BatchOutcome<O>>>;
  /** A batch takes items while their weights add up to at most this (one item always goes). */
  maxWeight: number;
  weight?: (item: I) => number;
  /**
   * Batches that may be committing at once (default 1). More than one only pays on a store whose writers
   * run in parallel; each takes what is queued when it starts.
   */
  parallel?: number;
  /**
   * Up to this long (ms, default 0), a batch waits for as many items as the largest of the last few batches
   * took, when fewer are queued. Callers over sockets come back a round trip after their answer: without the
   * wait, a batch starts with the few already back and the rest queue behind it, and batches stay small. The
   * wait ends as soon as they are all in. Only with one batch at a time (`parallel` 1).
   */
  gatherMs?: number;
  /** The queue ran empty: its owner may drop this committer (a new one starts afresh). */
  onIdle?: () => void;
}

/** Submits an item; the promise settles once the batch that holds it has committed (or failed). */
export interface GroupCommit<I, O> {
  submit(item: I): Promise<O>;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Group commit: while one batch is committing, submitted items queue up, and the next batch takes them all
 * (up to `maxWeight`). A lone item waits for nothing but one event-loop turn; under load one commit answers
 * many callers. Batches run one at a time (or `parallel` at a time), in submission order, and a caller hears
 * back only after the batch holding its item committed.
 */
export function createGroupCommit<I, O>(options: GroupCommitOptions<I, O>): GroupCommit<I, O> {
  const weight = options.weight ?? (() => 1);
  const parallel = Math.max(1, options.parallel ?? 1);
  const queue: Array<Pending<I, O>> = [];
  let draining = 0;
  const gatherMs = options.gatherMs ?? 0;
  if (gatherMs > 0 && parallel > 1)
    throw new Error('gatherMs waits for one batch at a time: parallel must be 1');
  /** The sizes of the last batches: the largest is how many callers are about (a batch waits for them). */
  const recentlyTaken: number[] = new Array<number>(8).fill(0);
  let batches = 0;
  /** A batch waiting for `count` items to be queued (see `gatherMs`), woken by the submit that brings them. */
  let gathering: { count: number; wake: () => void } | undefined;
  const gather = (count: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => wake(), gatherMs);
      const wake = (): void => {
        clearTimeout(timer);
        gathering = undefined;
        resolve();
      };
      gathering = { count, wake };
    });

  /** How many callers are about: the largest of the last batches. */
  const expected = (): number => Math.max(...recentlyTaken);

  const drain = async (): Promise<void> => {
    let lastTaken = 0;
    for (;;) {
      // Callers just answered over sockets come back a round trip later: with `gatherMs`, the loop waits
      // for them rather than going idle and letting the first one back start a batch of its own.
      const lingered = queue.length === 0 && gatherMs > 0 && expected() > 1;
      if (lingered) await gather(expected());
      if (queue.length === 0) break;
      // Yield once to the event loop so work already under way (requests read off their sockets, effects
      // that just returned) can join this batch. On SQLite the driver is synchronous: without this, a
      // transaction completes in microtasks before anyone else reaches the queue, and each pays its own commit.
      await turn();
      // The callers just answered often submit again at once. A few more turns (no timer: an idle loop turns
      // in microseconds) let them join, instead of one straggler's batch running alone while they queue
      // behind it, which doubled commits and the tail latency under steady concurrency.
      for (let t = 0; t < 3 && queue.length < lastTaken / 2; t += 1) await turn();
      if (gatherMs > 0 && !lingered && queue.length < expected()) await gather(expected());
      // A batch running beside this one (`parallel`) may have taken everything meanwhile.
      if (queue.length === 0) break;
      const take: Array<Pending<I, O>> = [];
      let total = 0;
      while (queue.length > 0) {
        const next = queue[0] as Pending<I, O>;
        const w = weight(next.item);
        if (take.length > 0 && total + w > options.maxWeight) break;
        queue.shift();
        take.push(next);
        total += w;
      }
      lastTaken = take.length;
      recentlyTaken[batches++ % recentlyTaken.length] = take.length;
      try {
        const outcomes = await options.flush(take.map((p) => p.item));
        take.forEach((p, i) => {
          const outcome = outcomes[i];
          if (!outcome) p.reject(new Error('the batch gave no answer for this item'));
          else if ('error' in outcome) p.reject(outcome.error);
          else p.resolve(outcome.value);
        });
      } catch (err) {
        for (const p of take) p.reject(err);
      }
    }
    draining -= 1;
    if (draining === 0) options.onIdle?.();
  };

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (gathering && queue.length >= gathering.count) gathering.wake();
        if (draining >= parallel) return;
        draining += 1;
        void drain();
      });
    },
  };
}
