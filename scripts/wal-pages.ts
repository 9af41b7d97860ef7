/**
 * Which B-trees a bulk ingest dirties: `npx tsx scripts/wal-pages.ts [batchSize] [measured] [warmup]`. Streams
 * the warm harness's Suricata-like lines into a SQLite file and, after each committed step, reads the frames
 * that step appended to the WAL; at the end it names each page's B-tree (dbstat) and prints the pages written
 * per step by table or index, the largest first. Every dirty page is a WAL frame at commit, so this is where
 * commit time goes. RIPOSTE_DDL='…' runs SQL on the fresh file first (drop or reshape an index to see what it
 * would save).
 */
import { openSync, readSync, fstatSync, closeSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import { ingestLineStream } from '../src/app/ingest/ingest-stream.js';
import { IngestSettings } from '../src/app/ingest/ingest-settings.js';
import { SYSTEM_ACTOR } from '../src/domain/shared/actor.js';
import { suricataLines } from '../bench/suricata-lines.js';
import { createTestContext } from '../test/support/api.js';
import { openTestStore } from '../test/support/stores.js';

// Without a size: the steps streams take by default.
const batchSize = Number(process.argv[2] ?? IngestSettings.parse({}).batchSize);
const measured = Number(process.argv[3] ?? 20_000);
const warmup = Number(process.argv[4] ?? 3_000);

const handle = await openTestStore('sqlite');
const path = handle.options.sqlitePath;
const ctx = createTestContext(handle.store);
if (process.env.RIPOSTE_DDL) {
  const extra = new Sqlite(path);
  extra.exec(process.env.RIPOSTE_DDL);
  extra.close();
}
const settings = IngestSettings.parse({ batchSize });

/** Page numbers written by the transactions committed since the last call (frames of the current WAL). */
let seen = { salt: -1, frame: 0 };
function newFrames(): number[] {
  const fd = openSync(`${path}-wal`, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    if (size < 32) return [];
    const pageSize = buf.readUInt32BE(8);
    const salt = buf.readUInt32BE(16);
    const frameSize = 24 + pageSize;
    if (salt !== seen.salt) seen = { salt, frame: 0 };
    const pages: number[] = [];
    let pending: number[] = [];
    let frame = 0;
    for (let at = 32; at + frameSize <= size; at += frameSize, frame += 1) {
      if (buf.readUInt32BE(at + 8) !== salt) break;
      if (frame < seen.frame) continue;
      pending.push(buf.readUInt32BE(at));
      if (buf.readUInt32BE(at + 4) !== 0) {
        pages.push(...pending);
        pending = [];
        seen.frame = frame + 1;
      }
    }
    return pages;
  } finally {
    closeSync(fd);
  }
}

try {
  await ingestLineStream(
    ctx,
    { source: 'bench', lines: suricataLines(0, warmup, { run: 'w', ruleOffset: 1_000_000 }), format: 'json' },
    SYSTEM_ACTOR,
    settings,
  );
  newFrames();
  const steps: number[][] = [];
  await ingestLineStream(
    ctx,
    { source: 'bench', lines: suricataLines(warmup, measured, { run: 'm' }), format: 'json' },
    SYSTEM_ACTOR,
    settings,
    () => {
      steps.push(newFrames());
    },
  );
  const reader = new Sqlite(path, { readonly: true });
  const owner = new Map<number, string>();
  for (const r of reader.prepare('select name, pageno from dbstat').all() as Array<{
    name: string;
    pageno: number;
  }>)
    owner.set(r.pageno, r.name);
  reader.close();
  const byTree = new Map<string, number>();
  let frames = 0;
  for (const pages of steps) {
    frames += pages.length;
    for (const p of new Set(pages)) {
      const name = owner.get(p) ?? '(free or new)';
      byTree.set(name, (byTree.get(name) ?? 0) + 1);
    }
  }
  const n = steps.length;
  console.log(
    `${n} steps of ${batchSize}: ${(frames / n).toFixed(0)} WAL frames per step, ${(frames / n / batchSize).toFixed(2)} per alert`,
  );
  for (const [name, count] of [...byTree].sort((a, b) => b[1] - a[1]))
    console.log(`${(count / n).toFixed(1).padStart(8)} pages/step  ${name}`);
} finally {
  await handle.cleanup();
}
