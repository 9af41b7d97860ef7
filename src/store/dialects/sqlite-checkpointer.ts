import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the WAL back into the database file on a thread of its own. better-sqlite3 is synchronous: when a
 * commit crossed `wal_autocheckpoint`, that commit copied tens of MiB with two fsyncs on the event loop, and
 * every request and run of the process waited (alert to first action p99 36 ms against 3–5 ms without it).
 *
 * The thread's own connection runs PASSIVE checkpoints, which take no lock a writer needs; a writer restarts
 * the WAL from its start once everything in it is copied. Under writes that never pause the WAL could still
 * grow, so past `restartFrames` (1 GiB of pages) the thread asks for a RESTART checkpoint, during which writers
 * wait (asynchronously, retryWhileBusy). That is a safety valve, not a habit: at 64 MiB it fired during bulk
 * ingest and each time held a whole group commit of single POSTs for 50–66 ms (p99 39–62 ms against 15–17 ms).
 */
export interface SqliteCheckpointer {
  stop(): void;
}

/** What the thread runs: fixed code of ours (no input of anyone's), as an eval'd CommonJS script so it
 * works the same from TypeScript sources under the test runner and from the compiled build. */
const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.restartWaitMs);
const timer = setInterval(() => {
  try {
    const [state] = db.pragma('wal_checkpoint(PASSIVE)');
    if (state && state.log > workerData.restartFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch {
    // Busy or interrupted: the next turn tries again.
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface CheckpointerOptions {
  /** The WAL size at which the thread starts; below it, nothing needs copying yet. */
  startAtBytes?: number;
  intervalMs?: number;
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
  let worker: Worker | undefined;
  let stopped = false;
  const walSize = (): number => {
    try {
      return statSync(`${path}-wal`).size;
    } catch {
      return 0;
    }
  };
  const start = (): void => {
    try {
      worker = new Worker(THREAD_CODE, {
        eval: true,
        workerData: {
          path,
          driver: createRequire(import.meta.url).resolve('better-sqlite3'),
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
    if (walSize() < startAtBytes) return;
    clearInterval(watch);
    start();
  }, 1_000);
  watch.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(watch);
      worker?.postMessage('stop');
      worker = undefined;
    },
  };
}
