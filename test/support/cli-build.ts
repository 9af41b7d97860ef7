import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { ensureFresh, newestChange } from './fresh-build.js';
import { CLI_ENTRY, ROOT } from './processes.js';

/** What tsconfig.build.json compiles: src/ without its tests and the web console. */
const compiled = (path: string): boolean =>
  path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.startsWith(join(ROOT, 'src', 'web') + sep);

/**
 * Compiles the server and CLI into dist/ (as `npm run build` does, without the web console) when a source
 * file is newer than the build: the CLI tests run the built command. A run of vitest alone after an edit
 * compiles once. The command is left executable, as `npm run build` leaves it.
 */
export function ensureCliBuilt(): void {
  ensureFresh(
    CLI_ENTRY,
    () => newestChange(join(ROOT, 'src'), compiled),
    () => {
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    },
  );
  // As `npm run build` leaves it: the tests run the command itself, through its `#!` line. Also when the
  // build was fresh already, since a build of before this line left it unexecutable.
  chmodSync(CLI_ENTRY, 0o755);
}
