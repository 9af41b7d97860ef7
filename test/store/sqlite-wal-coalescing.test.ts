import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { useWalCoalescing, walCoalescingLibrary } from '../../src/store/dialects/sqlite-wal-coalescing.js';
import { ROOT } from '../support/processes.js';
import { openWalWriter, sqliteFiles, startTestCheckpointer } from '../support/sqlite-files.js';

const LIBRARY = walCoalescingLibrary();

// WAL frames are held back and written in large writes: everything below checks that nothing a reader, the
// checkpointer, a reopened file or a killed writer relies on is held back with them.
describe('SQLite WAL coalescing VFS', () => {
  const files = sqliteFiles();
  afterEach(() => files.cleanup());

  it('is built by the install and loaded in this process, as a server loads it', () => {
    expect(existsSync(LIBRARY)).toBe(true);
    expect(useWalCoalescing(true)).toEqual({ state: 'on' });
  });

  it('shows every commit to another connection and to the checkpointer, whole', async () => {
    useWalCoalescing(true);
    const path = files.file();
    const writer = openWalWriter(path);
    const reader = new Sqlite(path, { readonly: true });
    const checkpointer = startTestCheckpointer(path, { intervalMs: 5, restartAtFrames: 64 });
    try {
      const insert = writer.prepare('insert into rows (batch, body) values (?, ?)');
      const count = reader.prepare('select count(*) as n, coalesce(max(batch), 0) as last from rows');
      // Rows of many sizes: frames straddle buffer ends, pages split, the WAL restarts under the reader.
      for (let batch = 1; batch <= 150; batch += 1) {
        writer.transaction(() => {
          for (let i = 0; i < 1 + (batch % 40); i += 1)
            insert.run(batch, 'y'.repeat(50 + ((batch * i) % 9) * 700));
        })();
        checkpointer.committed();
        const seen = count.get() as { n: number; last: number };
        expect(seen.last).toBe(batch);
        if (batch % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(writer.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      checkpointer.stop();
      reader.close();
      writer.close();
    }
    const reopened = new Sqlite(path);
    expect(reopened.prepare('select count(distinct batch) as batches from rows').get()).toEqual({
      batches: 150,
    });
    expect(reopened.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    reopened.close();
  });

  it('keeps every commit that returned when the writing process is killed', async () => {
    const path = files.file();
    const child = spawn(
      process.execPath,
      [join(ROOT, 'test/support/wal-writer-process.mjs'), path, LIBRARY],
      {
        cwd: ROOT,
      },
    );
    let acknowledged = 0;
    let pending = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (signal === 'SIGKILL') resolve();
        else reject(new Error(`the writer exited (${code}): ${stderr}`));
      });
      child.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) acknowledged = Number(line);
        // Killed mid-stream, whatever it was doing: 60 batches in, about 3 MB of WAL.
        if (acknowledged >= 60 && child.exitCode === null) child.kill('SIGKILL');
      });
    });
    const db = new Sqlite(path);
    expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    const perBatch = db
      .prepare('select batch, count(*) as n from rows where batch <= ? group by batch order by batch')
      .all(acknowledged) as Array<{ batch: number; n: number }>;
    expect(perBatch).toHaveLength(acknowledged);
    expect(perBatch.every((b) => b.n === 200)).toBe(true);
    db.close();
  });
});
