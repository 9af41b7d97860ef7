import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_ENTRY } from './processes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The latest change among the files the build compiles (tsconfig.build.json: src/ without tests and web/). */
function newestSourceChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== join(root, 'src', 'web')) newest = Math.max(newest, newestSourceChange(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

function builtAt(): number {
  try {
    return statSync(CLI_ENTRY).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Compiles the server and CLI into dist/ (as `npm run build` does, without the web console) unless the build
 * is newer than every source file: the CLI tests run the built command, and must run today's code. `npm test`
 * builds first, so there this only looks; a run of vitest alone after an edit compiles once.
 */
export function ensureCliBuilt(): void {
  if (builtAt() >= newestSourceChange(join(root, 'src'))) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
