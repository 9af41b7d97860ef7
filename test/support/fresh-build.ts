import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.js';

const LOCK = join(ROOT, 'dist/.build.lock');
const LOCK_STALE_MS = 120_000;

/** The latest change among the files under `dir` that `keep` keeps (every file, unless given). */
export function newestChange(dir: string, keep: (path: string) => boolean = () => true): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestChange(path, keep));
    else if (keep(path)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const changedAt = (path: string): number => (existsSync(path) ? statSync(path).mtimeMs : 0);

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Test processes run in parallel: one builds while the others wait for the lock, then look again. */
function withBuildLock(build: () => void): void {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock left by a killed process must not block every later run.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > LOCK_STALE_MS)
        rmSync(LOCK, { force: true, recursive: true });
      else pause(100);
    }
  }
  try {
    build();
  } finally {
    rmSync(LOCK, { force: true, recursive: true });
  }
}

/**
 * Runs `build` when `output` is missing or older than its sources (`sourcesChangedAt`): tests that run what
 * `npm run build` makes must run today's code. `npm test` builds first, so there this only looks.
 */
export function ensureFresh(output: string, sourcesChangedAt: () => number, build: () => void): void {
  const fresh = (): boolean => changedAt(output) >= sourcesChangedAt();
  if (fresh()) return;
  withBuildLock(() => {
    if (!fresh()) build();
  });
}
