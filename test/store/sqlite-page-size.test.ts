import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';

// Bulk ingest writes one page per hot index key at every commit: new files get larger pages (sqlite.ts).
describe('SQLite page size', () => {
  const dirs: string[] = [];
  const newPath = () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-pages-'));
    dirs.push(dir);
    return join(dir, 'riposte.db');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const pageSize = async (store: Awaited<ReturnType<typeof openStore>>) =>
    (await sql<{ page_size: number }>`pragma page_size`.execute(store.db)).rows[0]?.page_size;

  it('creates a new database with 16 KiB pages', async () => {
    const store = await openStore({ sqlitePath: newPath() });
    try {
      await store.migrate();
      expect(await pageSize(store)).toBe(16_384);
    } finally {
      await store.close();
    }
  });

  it('opens and migrates a database created with 4 KiB pages, which keeps them', async () => {
    const path = newPath();
    const old = new Sqlite(path);
    old.pragma('page_size = 4096');
    old.pragma('journal_mode = WAL');
    old.exec('create table kept (id integer primary key)');
    old.close();
    const store = await openStore({ sqlitePath: path });
    try {
      await store.migrate();
      expect(await pageSize(store)).toBe(4_096);
      const { rows } = await sql<{ n: number }>`select count(*) as n from alerts`.execute(store.db);
      expect(rows[0]?.n).toBe(0);
    } finally {
      await store.close();
    }
  });
});
