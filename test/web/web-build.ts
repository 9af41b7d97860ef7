import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LOCK = join(root, 'dist/.web-build.lock');
const LOCK_STALE_MS = 120_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  const index = join(root, 'dist/web/index.html');
  const sources = Math.max(
    newestMtime(join(root, 'src/web')),
    statSync(join(root, 'vite.config.ts')).mtimeMs,
  );
  return existsSync(index) && statSync(index).mtimeMs >= sources;
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Test files run in parallel processes: one builds while the others wait for its lock, then re-check. */
function withBuildLock(build: () => void): void {
  mkdirSync(join(root, 'dist'), { recursive: true });
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
 * Builds the UI into dist/web when it is missing or older than its sources (`npm test` builds first, so in CI this
 * is a no-op). The server finds dist/web when it starts, so call this before starting it.
 */
export function ensureWebBuilt(): void {
  if (isFresh()) return;
  withBuildLock(() => {
    if (isFresh()) return;
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
      {
        cwd: root,
        stdio: 'inherit',
        // Vitest sets NODE_ENV=test, which would bundle React's development build.
        env: { ...process.env, NODE_ENV: 'production' },
      },
    );
  });
}
