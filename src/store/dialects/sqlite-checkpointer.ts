import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * How long a bulk write waits for the thread to copy the WAL back before it starts (`caughtUp`, through the
 * dialect's `beforeBulkWrite`). SQLite starts the WAL again from its head only when a write transaction
 * begins on a WAL wholly copied, and bulk steps begin a few milliseconds after the last one committed, so
 * without the wait the thread never caught up and the WAL grew through a whole stream (525 MiB over 50,000
 * alerts), every commit writing into file pages the kernel had to allocate afresh: on the 2-core VM a page
 * of memory the host has taken back costs ~12 µs to touch again (3 µs when freed just before, 0.05 when
 * reused), 37–48 µs of kernel time per alert on the main thread.
 *
 * A copy takes longer than the caller needs to map the next step, mostly the two fsyncs of each checkpoint
 * (with the thread's connection not syncing, the waits nearly vanished: not an option, a WAL started again
 * over a file not yet synced can lose commits to a power cut), so waiting for a copy started only when the
 * step asks cost more than it saved (4–6% of alerts/s from 64 MiB). Started as each bulk step commits
 * (`copyNow`, the dialect's `afterBulkWrite`), most of a copy overlaps the next step's mapping; steps wait
 * once the WAL holds `bulkWaitAtFrames` (16 MiB), about every third step of 1,000 alerts, 10–20 ms each, and
 * the WAL goes round in the same 16–85 MiB of cached pages. Alternated against waiting from 256 MiB with no
 * copy at commit, on a 60,000-alert warm stream (scripts/ingest-warm.ts, 3 pairs): the WAL peaked at 62–85
 * MiB against 293–307, the main thread's kernel time 5–6 µs per alert against 11–19 and its CPU 79–97 µs
 * against 92–102, alerts/s the same within the machine's swings (8,787–10,632 against 9,149–10,223); the
 * bench's 20,000-alert burst the same too (medians of 6 pairs 11,015 and 11,495). The thread's own CPU grows
 * (22 µs per alert against 10–19): it copies the same hot pages more often, on the other core. From 8 MiB
 * the waits came at every other step and cost more. The event loop is free during a wait and single POSTs go
 * on; past this bound the step goes ahead on a WAL that grows.
 */
export const BULK_WRITE_WAIT_MS = 100;

/** The size of the WAL file of the SQLite database at `path`, in bytes (0 while there is none). */
export function walFileBytes(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * Copies the WAL back into the database file on a thread of its own. better-sqlite3 is synchronous: when a
 * commit crossed `wal_autocheckpoint`, that commit copied tens of MiB with two fsyncs on the event loop, and
 * every request and run of the process waited (alert to first action p99 36 ms against 3–5 ms without it).
 *
 * The thread's own connection runs PASSIVE checkpoints, which take no lock a writer needs. A writer starts
 * the WAL again from its head only if everything in it is already copied when the writer begins; checkpoints
 * on a timer almost never finished between two commits, so under steady writes the WAL grew by every page
 * written, each commit extending the file (the kernel allocating and zeroing fresh pages). So once the WAL
 * holds `restartAtFrames`, the store wakes the thread after every commit that comes close to the one before
 * (`committed`) and it copies right after it: between two group commits of single POSTs it finishes first,
 * the WAL starts again over pages the OS still caches, and a commit costs ~15% less (62–66 -> 50–56 µs per
 * alert). Bulk steps outrun it: see below, and `BULK_WRITE_WAIT_MS`.
 *
 * Only frequent commits need that race won at each one, and `committed` wakes the thread for no other: a
 * commit further apart than `eagerGapMs` from the one before is copied on the next interval, several at once.
 * Bulk steps are such commits too (one every 50–100 ms, ~1,700 pages each), and a copy after each one alone
 * never won the race: the copy took longer than mapping the next batch, the step began on a WAL not wholly
 * copied, and the WAL grew all the same (677 MiB over 60,000 alerts), the copies only taking the same hot
 * index pages again. A bulk step wins it by starting the copy as it commits and waiting for it before the
 * next one (`copyNow`, `caughtUp`, see `BULK_WRITE_WAIT_MS`): the ingest side knows a step's size, the
 * store's side each commit's gap. Every wake-up of the thread means "copy now", and so does each interval
 * that passes.
 *
 * Past `restartFrames` (1 GiB of pages) the thread asks for a RESTART checkpoint, during which writers wait
 * (asynchronously, retryWhileBusy). That is a safety valve, not a habit: at 64 MiB it fired during bulk
 * ingest and each time held a whole group commit of single POSTs for 50–66 ms (p99 39–62 ms against 15–17 ms).
 */
export interface SqliteCheckpointer {
  /** Called after each commit: wakes the thread to copy it when the WAL is long and commits come close. */
  committed(): void;
  /** Wakes the thread to copy the WAL now (a bulk write just committed: see `BULK_WRITE_WAIT_MS`). */
  copyNow(): void;
  /**
   * Resolves once the thread has copied the whole WAL back, or after `maxMs`; at once while the WAL is
   * shorter than `bulkWaitAtFrames` (or no thread runs). For a large write about to start: see
   * `BULK_WRITE_WAIT_MS`.
   */
  caughtUp(maxMs: number): Promise<void>;
  /** How many checkpoints the thread has run. */
  copies(): number;
  /** The WAL's length in frames at the thread's last checkpoint (0 before its first). */
  frames(): number;
  stop(): void;
}

/** Slots of the signal the two threads share (an Int32Array over a SharedArrayBuffer). */
const SLOT = {
  /** Bumped to wake the thread, which sleeps on it: each wake-up asks for a copy now. */
  wakes: 0,
  stop: 1,
  /** Checkpoints the thread has run (for tests and diagnostics). */
  copies: 2,
  /** 1 once a checkpoint found the whole WAL copied (the thread notifies it); each commit sets it to 0. */
  backfilled: 3,
  /** The WAL's length in frames at the thread's last checkpoint. */
  frames: 4,
} as const;

/** What the thread runs: fixed code of ours (no input of anyone's), as an eval'd CommonJS script so it
 * works the same from TypeScript sources under the test runner and from the compiled build. */
const THREAD_CODE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const SLOT = ${JSON.stringify(SLOT)};
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.restartWaitMs);
const signal = new Int32Array(workerData.signal);
let seen = Atomics.load(signal, SLOT.wakes);
const checkpoint = () => {
  try {
    // Commits made while it copied are copied too: the WAL starts again only once all of it is in the file.
    let [state] = db.pragma('wal_checkpoint(PASSIVE)');
    for (let turn = 0; state && state.checkpointed < state.log && turn < 8; turn += 1)
      [state] = db.pragma('wal_checkpoint(PASSIVE)');
    if (state && state.log > workerData.restartFrames) [state] = db.pragma('wal_checkpoint(RESTART)');
    if (state) {
      Atomics.store(signal, SLOT.frames, state.log);
      // A commit that lands between the checkpoint and this store leaves the flag at 1 with frames to copy: a
      // waiting bulk step then starts on a WAL not wholly copied, which costs only the restart it hoped for.
      if (state.checkpointed >= state.log) {
        Atomics.store(signal, SLOT.backfilled, 1);
        Atomics.notify(signal, SLOT.backfilled);
      }
    }
  } catch {
    // Busy or interrupted: the next turn tries again.
  }
  Atomics.add(signal, SLOT.copies, 1);
};
// Started because the WAL passed startAtBytes: copy it now.
checkpoint();
// Woken (a copy is wanted now) or an interval passed: copy either way.
while (Atomics.load(signal, SLOT.stop) === 0) {
  Atomics.wait(signal, SLOT.wakes, seen, workerData.intervalMs);
  if (Atomics.load(signal, SLOT.stop) !== 0) break;
  seen = Atomics.load(signal, SLOT.wakes);
  checkpoint();
}
db.close();
`;

export interface CheckpointerOptions {
  /** The WAL size at which the thread starts; below it, nothing needs copying yet. */
  startAtBytes?: number;
  /** How often the thread copies a WAL shorter than `restartAtFrames`. */
  intervalMs?: number;
  /** WAL frames from which the thread copies after every commit that comes within `eagerGapMs` of the last. */
  restartAtFrames?: number;
  /** WAL frames from which `caughtUp` waits: see BULK_WRITE_WAIT_MS. */
  bulkWaitAtFrames?: number;
  /** Commits closer together than this are each copied right after (a long WAL); further apart, once an interval. */
  eagerGapMs?: number;
  restartFrames?: number;
  /** Called when the thread cannot run: the caller goes back to checkpoints on commit. */
  onFailure: (err: unknown) => void;
}

/**
 * Starts checkpointing `path` off the event loop once its WAL passes `startAtBytes` (most stores, tests among
 * them, never get there and never pay for a thread).
 */
export function startSqliteCheckpointer(path: string, options: CheckpointerOptions): SqliteCheckpointer {
  const startAtBytes = options.startAtBytes ?? 4 * 1024 * 1024;
  // 64 MiB of 4 KiB pages.
  const restartAtFrames = options.restartAtFrames ?? 16_384;
  const eagerGapMs = options.eagerGapMs ?? 25;
  // 16 MiB of 4 KiB pages.
  const bulkWaitAtFrames = options.bulkWaitAtFrames ?? 4_096;
  /** Time between the last two commits: under `eagerGapMs`, small transactions come one after another. */
  let lastCommitAt = Number.NEGATIVE_INFINITY;
  let lastGapMs = Number.POSITIVE_INFINITY;
  const signal = new Int32Array(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT));
  let worker: Worker | undefined;
  let stopped = false;
  const wake = (): void => {
    Atomics.add(signal, SLOT.wakes, 1);
    Atomics.notify(signal, SLOT.wakes);
  };
  const frames = (): number => Atomics.load(signal, SLOT.frames);
  const start = (): void => {
    try {
      worker = new Worker(THREAD_CODE, {
        eval: true,
        workerData: {
          path,
          driver: createRequire(import.meta.url).resolve('better-sqlite3'),
          signal: signal.buffer,
          intervalMs: options.intervalMs ?? 200,
          restartFrames: options.restartFrames ?? 262_144,
          restartWaitMs: 2_000,
        },
      });
      worker.unref();
      worker.on('error', (err) => {
        worker = undefined;
        if (!stopped) options.onFailure(err);
      });
    } catch (err) {
      options.onFailure(err);
    }
  };
  const watch = setInterval(() => {
    if (walFileBytes(path) < startAtBytes) return;
    clearInterval(watch);
    start();
  }, 1_000);
  watch.unref();
  return {
    committed() {
      const now = performance.now();
      lastGapMs = now - lastCommitAt;
      lastCommitAt = now;
      Atomics.store(signal, SLOT.backfilled, 0);
      // A short WAL is copied once an interval. A long one also right after each commit that comes close to
      // the one before (they are short and the copy wins the race to the next). Commits further apart are
      // copied on the interval, except bulk steps, which ask themselves (`copyNow`). A wake-up is a context
      // switch (~100 µs of this thread's time per commit, measured): only then.
      if (worker && lastGapMs < eagerGapMs && frames() >= restartAtFrames) wake();
    },
    copyNow() {
      if (worker) wake();
    },
    async caughtUp(maxMs) {
      if (!worker || frames() < bulkWaitAtFrames) return;
      // Among frequent small commits (single POSTs beside the bulk writes) one lands during nearly every
      // copy, and the thread's copies after each of them keep colliding with the restart: waiting bought
      // nothing there (5 pairs, a single alert every 10 ms beside a stream: 5,727-7,036 alerts/s against
      // 6,762-8,497 without the wait, the kernel's time the same).
      if (lastGapMs < eagerGapMs) return;
      if (Atomics.load(signal, SLOT.backfilled) === 1) return;
      wake();
      const waiting = Atomics.waitAsync(signal, SLOT.backfilled, 0, maxMs);
      if (!waiting.async) return;
      // Node does not count a pending waitAsync as work: with nothing else to do, the process would exit
      // under it. A timer of the same length keeps the event loop alive.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([waiting.value, new Promise((resolve) => (timer = setTimeout(resolve, maxMs)))]);
      clearTimeout(timer);
    },
    copies: () => Atomics.load(signal, SLOT.copies),
    frames,
    stop() {
      stopped = true;
      clearInterval(watch);
      Atomics.store(signal, SLOT.stop, 1);
      Atomics.notify(signal, SLOT.wakes);
      worker = undefined;
    },
  };
}
