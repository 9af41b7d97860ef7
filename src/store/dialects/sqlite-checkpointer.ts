import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the WAL back into the database file on a thread of its own. better-sqlite3 is synchronous: when a
 * commit crossed `wal_autocheckpoint`, that commit copied tens of MiB with two fsyncs on the event loop, and
 * every request and run of the process waited (alert to first action p99 36 ms against 3–5 ms without it).
 *
 * The thread's own connection runs PASSIVE checkpoints, which take no lock a writer needs. A writer starts
 * the WAL again from its head only if everything in it is already copied when the writer begins; checkpoints
 * on a timer almost never finished between two commits, so under steady writes the WAL grew by every page
 * written, each commit extending the file (the kernel allocating and zeroing fresh pages). So once the WAL
 * holds `restartAtFrames`, the thread asks to be woken by every commit (`eager`) and copies right after it:
 * between two group commits of single POSTs it finishes first, the WAL starts again over pages the OS still
 * caches, and a commit costs ~15% less (62–66 -> 50–56 µs per alert).
 *
 * A writer whose transaction begins before the copy ends reads a WAL not wholly copied, and cannot start
 * it again at its commit. Bulk ingest lost that race at nearly every step (the copy of a step's ~1,700 pages
 * took longer than mapping the next batch): its WAL grew by every page written, to 677 MiB over 60,000
 * alerts, and the thread copied each step's hot index pages again. So while the thread copies right after a
 * transaction that held the write lock `waitAfterWriteMs` or more, the next write transaction waits for the
 * copy (`copied`, asynchronously, at most `maxWaitMs`) before it begins: the WAL then stays under ~120 MiB,
 * and the thread's CPU per bulk alert fell from 14–17 to 7–9 µs. Short transactions (group commits of single
 * POSTs) are not held back: their copies are short and mostly win anyway, and waiting put 3–5 ms on their p99.
 *
 * Past `restartFrames` (1 GiB of pages) the thread asks for a RESTART checkpoint, during which writers wait
 * (asynchronously, retryWhileBusy). That is a safety valve, not a habit: at 64 MiB it fired during bulk
 * ingest and each time held a whole group commit of single POSTs for 50–66 ms (p99 39–62 ms against 15–17 ms).
 */
export interface SqliteCheckpointer {
  /** Called after each commit: wakes the thread when it asked to be (the WAL is long). */
  /** `writeMs`: how long the transaction held the write lock (from BEGIN to its commit). */
  committed(writeMs?: number): void;
  /**
   * While the thread copies right after a commit: settles once the copy ends (or after `maxWaitMs`). A write
   * transaction begun after it can start the WAL again. Undefined when there is nothing to wait for.
   */
  copied(): Promise<void> | undefined;
  /** How many checkpoints the thread has run. */
  copies(): number;
  stop(): void;
}

/** Slots of the signal the two threads share (an Int32Array over a SharedArrayBuffer). */
const SLOT = {
  /** Bumped by each commit while the thread asks for it (`eager`); the thread sleeps on it. */
  commits: 0,
  stop: 1,
  /** 1 while the WAL is long and the thread wants to hear of every commit; else commits do not wake it. */
  eager: 2,
  /** 1 from a commit that woke the thread until its copy ends: the next write transaction waits for 0. */
  copying: 3,
  /** Checkpoints the thread has run (for tests and diagnostics). */
  copies: 4,
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
let seen = Atomics.load(signal, SLOT.commits);
let last = 0;
let walFrames = 0;
const checkpoint = () => {
  try {
    // Commits made while it copied are copied too: the WAL starts again only once all of it is in the file.
    let [state] = db.pragma('wal_checkpoint(PASSIVE)');
    for (let turn = 0; state && state.checkpointed < state.log && turn < 8; turn += 1)
      [state] = db.pragma('wal_checkpoint(PASSIVE)');
    if (state && state.log > workerData.restartFrames) [state] = db.pragma('wal_checkpoint(RESTART)');
    if (state) {
      walFrames = state.log;
      Atomics.store(signal, SLOT.eager, walFrames >= workerData.restartAtFrames ? 1 : 0);
    }
  } catch {
    // Busy or interrupted: the next turn tries again.
  }
  last = Date.now();
  Atomics.add(signal, SLOT.copies, 1);
  Atomics.store(signal, SLOT.copying, 0);
  Atomics.notify(signal, SLOT.copying);
};
// Started because the WAL passed startAtBytes: copy it now.
checkpoint();
while (Atomics.load(signal, SLOT.stop) === 0) {
  Atomics.wait(signal, SLOT.commits, seen, workerData.intervalMs);
  if (Atomics.load(signal, SLOT.stop) !== 0) break;
  const commits = Atomics.load(signal, SLOT.commits);
  const committed = commits !== seen;
  seen = commits;
  // A short WAL is copied once an interval; a long one right after each commit, to win the race to the
  // next and let it start the WAL again.
  if (committed && walFrames < workerData.restartAtFrames && Date.now() - last < workerData.intervalMs) {
    // Woken by a commit made while the WAL was long, since started again: no copy to wait for.
    Atomics.store(signal, SLOT.copying, 0);
    Atomics.notify(signal, SLOT.copying);
    continue;
  }
  checkpoint();
}
db.close();
`;

/** `Atomics.waitAsync` (Node.js 16+; not in the ES2023 library's types): waits without blocking the thread. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync?: (
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ) => { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync?.bind(Atomics);

export interface CheckpointerOptions {
  /** The WAL size at which the thread starts; below it, nothing needs copying yet. */
  startAtBytes?: number;
  /** How often the thread copies a WAL shorter than `restartAtFrames`. */
  intervalMs?: number;
  /** WAL frames from which the thread copies after every commit. */
  restartAtFrames?: number;
  restartFrames?: number;
  /** The longest a write transaction waits for a copy to end before it begins. */
  maxWaitMs?: number;
  /** Only the copy of a transaction that held the write lock this long is waited for (a bulk step's). */
  waitAfterWriteMs?: number;
  /** Called when the thread cannot run: the caller goes back to checkpoints on commit. */
  onFailure: (err: unknown) => void;
}

/**
 * Starts checkpointing `path` off the event loop once its WAL passes `startAtBytes` (most stores, tests among
 * them, never get there and never pay for a thread).
 */
export function startSqliteCheckpointer(path: string, options: CheckpointerOptions): SqliteCheckpointer {
  const startAtBytes = options.startAtBytes ?? 4 * 1024 * 1024;
  const signal = new Int32Array(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT));
  let worker: Worker | undefined;
  let stopped = false;
  const walSize = (): number => {
    try {
      return statSync(`${path}-wal`).size;
    } catch {
      return 0;
    }
  };
  const maxWaitMs = options.maxWaitMs ?? 50;
  // Nobody waits on a thread that is gone.
  const release = (): void => {
    Atomics.store(signal, SLOT.copying, 0);
    Atomics.notify(signal, SLOT.copying);
  };
  const waitAfterWriteMs = options.waitAfterWriteMs ?? 10;
  const wake = (awaited: boolean): void => {
    // Set here rather than by the thread, so a transaction that begins before the thread wakes waits too.
    if (awaited) Atomics.store(signal, SLOT.copying, 1);
    Atomics.add(signal, SLOT.commits, 1);
    Atomics.notify(signal, SLOT.commits);
  };
  const start = (): void => {
    try {
      worker = new Worker(THREAD_CODE, {
        eval: true,
        workerData: {
          path,
          driver: createRequire(import.meta.url).resolve('better-sqlite3'),
          signal: signal.buffer,
          intervalMs: options.intervalMs ?? 200,
          // 64 MiB of 4 KiB pages, the size journal_size_limit cuts the WAL file back to.
          restartAtFrames: options.restartAtFrames ?? 16_384,
          restartFrames: options.restartFrames ?? 262_144,
          restartWaitMs: 2_000,
        },
      });
      worker.unref();
      worker.on('error', (err) => {
        worker = undefined;
        release();
        if (!stopped) options.onFailure(err);
      });
    } catch (err) {
      options.onFailure(err);
    }
  };
  const watch = setInterval(() => {
    if (walSize() < startAtBytes) return;
    clearInterval(watch);
    start();
  }, 1_000);
  watch.unref();
  return {
    committed(writeMs = 0) {
      // A wake-up is a context switch (~100 µs of this thread's time per commit, measured): only on request.
      if (worker && Atomics.load(signal, SLOT.eager) === 1) wake(writeMs >= waitAfterWriteMs);
    },
    copied() {
      if (!worker || Atomics.load(signal, SLOT.copying) !== 1) return undefined;
      const waiting = waitAsync?.(signal, SLOT.copying, 1, maxWaitMs);
      if (!waiting?.async) return undefined;
      // A pending waitAsync does not keep Node's event loop alive (a CLI ingest exited mid-stream, code 13);
      // this timer does, and bounds the wait as well.
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, maxWaitMs);
        void waiting.value.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    copies: () => Atomics.load(signal, SLOT.copies),
    stop() {
      stopped = true;
      clearInterval(watch);
      Atomics.store(signal, SLOT.stop, 1);
      Atomics.notify(signal, SLOT.commits);
      worker = undefined;
      release();
    },
  };
}
