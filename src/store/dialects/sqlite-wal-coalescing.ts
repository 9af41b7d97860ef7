import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';

/**
 * Whether this process's SQLite writes WAL frames coalesced (sqlite-wal-coalesce.c, built into build/ on
 * install and by `npm run build`): `on`, `off` (not asked for), or why it could not be loaded.
 */
export type WalCoalescing = { state: 'on' } | { state: 'off' } | { state: 'unavailable'; reason: string };

const LIBRARY = `sqlite-wal-coalesce.${process.platform === 'darwin' ? 'dylib' : 'so'}`;

let loaded: WalCoalescing | undefined;

/** The repository's (or installed package's) build/ folder: from src/store/dialects or dist/src/store/dialects. */
function libraryPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up += 1) {
    if (existsSync(join(dir, 'package.json'))) {
      const path = join(dir, 'build', LIBRARY);
      return existsSync(path) ? path : undefined;
    }
    dir = dirname(dir);
  }
  return undefined;
}

/**
 * Makes the coalescing VFS the default of this process's SQLite, once, before the first store opens: it
 * applies to every connection opened afterwards, the checkpointer thread's included, and cannot be undone,
 * so the first SQLite store a process opens decides for the process (`off` only leaves it unloaded).
 */
export function useWalCoalescing(wanted: boolean): WalCoalescing {
  if (loaded) return loaded;
  if (!wanted) return { state: 'off' };
  const path = libraryPath();
  if (!path) {
    loaded = { state: 'unavailable', reason: `build/${LIBRARY} is missing (npm run build compiles it)` };
    return loaded;
  }
  const loader = new Sqlite(':memory:');
  try {
    // The entry point SQLite derives from the file name: sqlite3_sqlitewalcoalesce_init.
    loader.loadExtension(path);
    loaded = { state: 'on' };
  } catch (err) {
    loaded = { state: 'unavailable', reason: `${path} did not load: ${(err as Error).message}` };
  } finally {
    loader.close();
  }
  return loaded;
}
