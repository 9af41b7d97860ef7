import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureFresh, newestChange } from '../support/fresh-build.js';
import { ROOT } from '../support/processes.js';

/**
 * Builds the UI into dist/web when it is missing or older than its sources (`npm test` builds first, so in CI this
 * is a no-op). The server finds dist/web when it starts, so call this before starting it.
 */
export function ensureWebBuilt(): void {
  ensureFresh(
    join(ROOT, 'dist/web/index.html'),
    () => Math.max(newestChange(join(ROOT, 'src/web')), statSync(join(ROOT, 'vite.config.ts')).mtimeMs),
    () =>
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
        {
          cwd: ROOT,
          stdio: 'inherit',
          // Vitest sets NODE_ENV=test, which would bundle React's development build.
          env: { ...process.env, NODE_ENV: 'production' },
        },
      ),
  );
}
