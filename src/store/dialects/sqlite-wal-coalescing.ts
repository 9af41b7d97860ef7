import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';

/**
 * Whether this process's SQLite writes WAL frames coalesced (sqlite-wal-coalesce.c, built into build/ on
 * install and by `npm run build`): `on`, `off` (not asked for), or why it could not be loaded.
 */
export type WalCoalescing = { state: 'on' } | { state: 'off' } | { state: 'unavailable'; reason: string };

/** As scripts/build-sqlite-extension.mjs names it (plain JavaScript, run before TypeScript is compiled). */
const LIBRARY = `sqlite-wal-coalesce.${{ darwin: 'dylib', win32: 'dll' }[process.platform as string] ?? 'so'}`;

let decided: WalCoalescing | undefined;

/**
 * Where the build puts the library (scripts/build-sqlite-extension.mjs): build/ of the repository or the
 * installed package, found from src/store/dialects or dist/src/store/dialects.
 */
export function walCoalescingLibrary(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start, up = 0; up < 6; up += 1, dir = dirname(dir))
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'build', LIBRARY);
  return join(start, 'build', LIBRARY);
}

/** What the first SQLite store of this process decided; undefined before one opened. */
export const walCoalescingState = (): WalCoalescing | undefined => decided;

/**
 * Makes the coalescing VFS the default of this process's SQLite, once, before the first store opens: it
 * applies to every connection opened afterwards, the checkpointer thread's included, and cannot be undone,
 * so the first SQLite store a process opens decides for the process, `off` included.
 */
export function useWalCoalescing(wanted: boolean): WalCoalescing {
  decided ??= wanted ? load(walCoalescingLibrary()) : { state: 'off' };
  return decided;
}

function load(path: string): WalCoalescing {
  if (!existsSync(path))
    return { state: 'unavailable', reason: `${path} is missing (npm run build compiles it)` };
  const loader = new Sqlite(':memory:');
  try {
    // The entry point SQLite derives from the file name: sqlite3_sqlitewalcoalesce_init.
    loader.loadExtension(path);
    return { state: 'on' };
  } catch (err) {
    return { state: 'unavailable', reason: `${path} did not load: ${(err as Error).message}` };
  } finally {
    loader.close();
  }
}
