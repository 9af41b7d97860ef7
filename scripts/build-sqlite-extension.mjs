// Compiles the SQLite extension of the store (src/store/dialects/sqlite-wal-coalesce.c) into build/, against
// the headers of the SQLite that better-sqlite3 ships and links. Run on install and by `npm run build`; skips
// the compile when the library is newer than its source. Without a C compiler it warns and exits 0: Riposte
// runs without the extension, its SQLite commits only cost more.
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(root, 'src/store/dialects/sqlite-wal-coalesce.c');
const suffix = process.platform === 'darwin' ? 'dylib' : process.platform === 'win32' ? 'dll' : 'so';
const output = join(root, 'build', `sqlite-wal-coalesce.${suffix}`);

if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
if (process.platform === 'win32') {
  console.warn('riposte: the SQLite WAL extension is not built on Windows; SQLite commits will cost more');
  process.exit(0);
}
let headers;
try {
  headers = join(
    dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
    'deps/sqlite3',
  );
} catch {
  console.warn('riposte: better-sqlite3 is not installed; the SQLite WAL extension was not built');
  process.exit(0);
}
const compiler = process.env.CC || 'cc';
const shared = process.platform === 'darwin' ? ['-dynamiclib', '-undefined', 'dynamic_lookup'] : ['-shared'];
mkdirSync(dirname(output), { recursive: true });
try {
  execFileSync(
    compiler,
    ['-O2', '-fPIC', '-Wall', '-Wextra', '-Werror', ...shared, '-I', headers, '-o', output, source],
    { stdio: 'inherit' },
  );
} catch (err) {
  console.warn(
    `riposte: could not compile ${source} with ${compiler} (${err.message}); ` +
      'Riposte runs without it, and its SQLite commits cost more',
  );
}
