// Commits batches of rows into a SQLite file through the WAL-coalescing VFS, one line on stdout per batch
// once its COMMIT has returned (what Riposte acknowledges), until it is killed: `node wal-writer-process.mjs
// <database> <extension library>`. Plain JavaScript, so the test that kills it does not wait for a compiler.
import process from 'node:process';
import Database from 'better-sqlite3';

const [path, library] = process.argv.slice(2);
const loader = new Database(':memory:');
loader.loadExtension(library);
loader.close();
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 200');
db.exec(
  'create table if not exists rows (id integer primary key, batch integer not null, body text not null)',
);
const insert = db.prepare('insert into rows (batch, body) values (?, ?)');
const commit = db.transaction((batch) => {
  for (let i = 0; i < 200; i += 1) insert.run(batch, 'x'.repeat(300 + (i % 13) * 97));
});
for (let batch = 1; ; batch += 1) {
  commit(batch);
  // Synchronous on a pipe (Linux): the line is out before the next batch begins.
  process.stdout.write(`${batch}\n`);
}
