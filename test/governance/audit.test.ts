import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveAuditLog } from '../../src/app/audit/audit-retention.service.js';
import { auditSignerOf, writeAuditCheckpoint } from '../../src/app/audit/audit-checkpoint.service.js';
import { verifyAuditLog } from '../../src/app/audit/audit-verify.service.js';
import { ManualClock } from '../../src/domain/shared/clock.js';
import { hashAuditEntry } from '../../src/governance/audit/audit-chain.js';
import { SYSTEM_PRINCIPAL } from '../../src/governance/principal.js';
import { appendAudits, readAuditEntries, recordAudit } from '../../src/store/audit/audit.repository.js';
import type { Store } from '../../src/store/store.js';
import { openStore } from '../../src/store/store.js';
import { runTsProcess } from '../support/processes.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const append = (store: Store, i: number, at: number) =>
  recordAudit(
    store.db,
    store,
    {
      actor: { type: 'user', id: 'u1', name: 'alice' },
      action: i % 2 ? 'case.updated' : 'auth.login',
      target: { type: 'case', id: `c${i}` },
      details: { i },
    },
    at,
  );

describe.each(DIALECTS)('audit chain verification on %s', (dialect) => {
  let handle: TestStoreHandle;
  let dataDir: string;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const ctx = () => ({ config: { dataDir } as never, store: handle.store, clock });
  const verify = () => verifyAuditLog(handle.store.db, { signer: auditSignerOf(ctx()) });

  /** Runs a tampering, checks what verify says, then undoes it by restoring the rows exactly. */
  async function tamper(change: () => Promise<unknown>) {
    const before = await handle.store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    const head = await handle.store.db.selectFrom('audit_head').selectAll().execute();
    await change();
    const report = await verify();
    await handle.store.db.deleteFrom('audit_log').execute();
    for (const row of before) await handle.store.db.insertInto('audit_log').values(row).execute();
    await handle.store.db
      .updateTable('audit_head')
      .set({ seq: head[0]?.seq ?? 0, hash: head[0]?.hash ?? '' })
      .execute();
    return report;
  }

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'riposte-audit-'));
    for (let i = 1; i <= 20; i += 1) await append(handle.store, i, clock.now() + i);
    await writeAuditCheckpoint(ctx());
  });
  afterAll(async () => {
    await handle.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('verifies an intact chain and its signed checkpoint', async () => {
    expect(await verify()).toEqual({
      ok: true,
      entriesChecked: 20,
      archivedEntriesChecked: 0,
      checkpointsChecked: 1,
      lastSeq: 20,
      problems: [],
    });
  });

  it('finds an edited entry and says which', async () => {
    const report = await tamper(() =>
      handle.store.db.updateTable('audit_log').set({ actor_name: 'mallory' }).where('seq', '=', 5).execute(),
    );
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ seq: 5, reason: 'hash_mismatch' });
    expect(report.problems[0]?.message).toContain('entry 5');
  });

  it('finds a deleted entry in the middle and at the end', async () => {
    const middle = await tamper(() => handle.store.db.deleteFrom('audit_log').where('seq', '=', 7).execute());
    expect(middle.problems[0]).toMatchObject({ seq: 7, reason: 'gap' });
    const tail = await tamper(() => handle.store.db.deleteFrom('audit_log').where('seq', '>=', 19).execute());
    expect(tail.problems[0]).toMatchObject({ seq: 19, reason: 'truncated' });
    expect(tail.problems[0]?.message).toContain('19-20');
  });

  it('finds reordered entries', async () => {
    const report = await tamper(async () => {
      const db = handle.store.db;
      await db.updateTable('audit_log').set({ seq: 1000 }).where('seq', '=', 3).execute();
      await db.updateTable('audit_log').set({ seq: 3 }).where('seq', '=', 4).execute();
      await db.updateTable('audit_log').set({ seq: 4 }).where('seq', '=', 1000).execute();
    });
    expect(report.problems[0]).toMatchObject({ seq: 3, reason: 'broken_link' });
  });

  it('finds a chain rewritten with fresh hashes through its signed checkpoint', async () => {
    const report = await tamper(async () => {
      const db = handle.store.db;
      const entries = await readAuditEntries(db, 0, 1000);
      let prevHash = entries[0]?.prevHash ?? '';
      for (const e of entries) {
        const forged = { ...e, prevHash, actor: e.seq === 10 ? { ...e.actor, name: 'mallory' } : e.actor };
        const hash = hashAuditEntry(forged);
        await db
          .updateTable('audit_log')
          .set({ actor_name: forged.actor.name, prev_hash: prevHash, hash })
          .where('seq', '=', e.seq)
          .execute();
        prevHash = hash;
      }
      await db.updateTable('audit_head').set({ hash: prevHash }).execute();
    });
    expect(report.problems[0]).toMatchObject({ seq: 20, reason: 'checkpoint_mismatch' });
  });

  it('finds a forged checkpoint signature', async () => {
    const db = handle.store.db;
    const [cp] = await db.selectFrom('audit_checkpoints').selectAll().execute();
    await db
      .updateTable('audit_checkpoints')
      .set({ hash: 'f'.repeat(64) })
      .execute();
    const report = await verify();
    await db
      .updateTable('audit_checkpoints')
      .set({ hash: cp?.hash ?? '' })
      .execute();
    expect(report.problems[0]).toMatchObject({ reason: 'checkpoint_signature' });
    expect((await verify()).ok).toBe(true);
  });

  it('archives old entries with a checkpoint, and the chain stays verifiable', async () => {
    const archiveDir = join(dataDir, 'archive');
    // Entries 1-20 were written at base + 1..20; archiving happens later.
    const base = clock.now();
    clock.advance(60_000);
    const viewer = { kind: 'user' as const, id: 'v1', name: 'victor', roles: ['viewer' as const] };
    await expect(archiveAuditLog(ctx(), viewer, { before: base + 11, archiveDir })).rejects.toMatchObject({
      code: 'RIPOSTE_FORBIDDEN',
    });
    expect(await readAuditEntries(handle.store.db, 0, 1)).toMatchObject([{ seq: 1 }]);
    const segment = await archiveAuditLog(ctx(), SYSTEM_PRINCIPAL, { before: base + 11, archiveDir });
    expect(segment).toMatchObject({ from_seq: 1, to_seq: 10 });
    expect(await readAuditEntries(handle.store.db, 0, 1)).toMatchObject([{ seq: 11 }]);
    // The live table: entries 11-20, then the record of the archiving itself.
    expect((await readAuditEntries(handle.store.db, 20, 1))[0]).toMatchObject({
      seq: 21,
      action: 'audit.archived',
      details: { fromSeq: 1, toSeq: 10 },
    });
    expect(await verify()).toMatchObject({ ok: true, entriesChecked: 11 });
    const withArchive = await verifyAuditLog(handle.store.db, { signer: auditSignerOf(ctx()), archiveDir });
    expect(withArchive).toMatchObject({ ok: true, entriesChecked: 11, archivedEntriesChecked: 10 });
    // A second archive continues where the first ended.
    expect(await archiveAuditLog(ctx(), SYSTEM_PRINCIPAL, { before: base + 16, archiveDir })).toMatchObject({
      from_seq: 11,
      to_seq: 15,
    });
    expect((await verifyAuditLog(handle.store.db, { signer: auditSignerOf(ctx()), archiveDir })).ok).toBe(
      true,
    );

    const file = join(archiveDir, segment?.file ?? '');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('"name":"alice"', '"name":"mallory"'));
    const altered = await verifyAuditLog(handle.store.db, { signer: auditSignerOf(ctx()), archiveDir });
    expect(altered.problems[0]).toMatchObject({ seq: 1, reason: 'hash_mismatch' });
    writeFileSync(file, original);
    expect((await verifyAuditLog(handle.store.db, { signer: auditSignerOf(ctx()), archiveDir })).ok).toBe(
      true,
    );
  });

  // Three extra Node processes start through tsx: on a loaded machine that alone can take tens of seconds,
  // which the default 30 s per test does not allow for (it is a correctness test, not a speed one).
  it(
    'keeps one consistent chain under concurrent writers (connections and processes)',
    { timeout: 180_000 },
    async () => {
      const before = (await verify()).lastSeq;
      // Extra connections in this process only on PostgreSQL: better-sqlite3 waits for a lock synchronously, so
      // two SQLite connections in one process would block each other; on SQLite the writers are processes.
      const connections = dialect === 'postgres' ? [1, 2] : [];
      const others = await Promise.all(connections.map(() => openStore(handle.options)));
      const inProcess = others.flatMap((store, w) =>
        Array.from({ length: 25 }, (_, i) => append(store, 1000 * (w + 1) + i, clock.now())),
      );
      const processes = [1, 2, 3].map((p) =>
        runTsProcess('test/governance/audit-appender-process.ts', [
          '40',
          JSON.stringify(handle.options),
          String(p),
        ]),
      );
      const [results] = await Promise.all([Promise.all(processes), Promise.all(inProcess)]);
      await Promise.all(others.map((s) => s.close()));
      for (const r of results) expect(r.stderr).toBe('');
      const report = await verify();
      expect(report).toMatchObject({ ok: true, lastSeq: before + 25 * connections.length + 120 });
    },
  );

  it('chains a batch of entries appended in one commit exactly as single appends, and finds an edit inside it', async () => {
    const before = (await verify()).lastSeq;
    const entries = await handle.store.db.transaction().execute((trx) =>
      appendAudits(
        trx,
        handle.store,
        ['run.action', 'run.action', 'run.finished'].map((action, i) => ({
          actor: { type: 'system' as const, id: 'riposte', name: 'Riposte' },
          action,
          target: { type: 'run', id: 'r1' },
          details: { i },
        })),
        clock.now(),
      ),
    );
    expect(entries.map((e) => e.seq)).toEqual([before + 1, before + 2, before + 3]);
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
    expect(entries[2]?.hash).toBe(hashAuditEntry({ ...(entries[2] as NonNullable<(typeof entries)[2]>) }));
    expect(await verify()).toMatchObject({ ok: true, lastSeq: before + 3 });
    const report = await tamper(() =>
      handle.store.db
        .updateTable('audit_log')
        .set({ details: JSON.stringify({ i: 99 }) })
        .where('seq', '=', before + 2)
        .execute(),
    );
    expect(report).toMatchObject({ ok: false, problems: [{ seq: before + 2 }] });
  });

  it('chains a batch larger than one cached statement (inserted in slices) and moves the head past all of it', async () => {
    const before = (await verify()).lastSeq;
    const entries = await handle.store.db.transaction().execute((trx) =>
      appendAudits(
        trx,
        handle.store,
        Array.from({ length: 300 }, (_, i) => ({
          actor: { type: 'system' as const, id: 'riposte', name: 'Riposte' },
          action: 'run.action',
          target: { type: 'run', id: `r${i}` },
          details: { i },
        })),
        clock.now(),
      ),
    );
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 300 }, (_, i) => before + 1 + i));
    expect(await verify()).toMatchObject({ ok: true, lastSeq: before + 300 });
    // The next append links to the last entry of the batch: the head moved once, to its end.
    const next = await handle.store.db.transaction().execute((trx) =>
      appendAudits(
        trx,
        handle.store,
        [
          {
            actor: { type: 'system' as const, id: 'riposte', name: 'Riposte' },
            action: 'run.finished',
            target: { type: 'run', id: 'r' },
          },
        ],
        clock.now(),
      ),
    );
    expect(next[0]?.prevHash).toBe(entries[299]?.hash);
    expect(await verify()).toMatchObject({ ok: true, lastSeq: before + 301 });
  });
});
