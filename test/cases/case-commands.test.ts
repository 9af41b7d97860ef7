import type { Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addCaseComment,
  addCaseTask,
  applyTaskTemplate,
  changeCaseStatus,
  mergeCases,
  moveAlert,
  setObservableVerdict,
  updateCase,
  updateCaseTask,
} from '../../src/app/cases/case-commands.js';
import { saveCaseReview } from '../../src/app/cases/case-review-commands.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import { findCaseById, listCaseEvents } from '../../src/store/cases/case.repository.js';
import { listCaseObservables, listTimeline } from '../../src/store/cases/case-query.repository.js';
import { listCaseTasks } from '../../src/store/cases/case-task.repository.js';
import type { Database } from '../../src/store/schema.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import {
  ANALYST,
  attachObservable,
  depsOf,
  failure,
  inTransaction,
  insertAlert,
  openCase,
} from './case-fixtures.js';

const T0 = 1_750_000_000_000;

describe.each(DIALECTS)('case commands on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(async () => handle.cleanup());
  const tx = <T>(body: (trx: Transaction<Database>) => Promise<T>) => inTransaction(handle.store, body);

  it('walks the lifecycle with one event, one audit entry and one trigger job per transition', async () => {
    const { store } = handle;
    const kase = await openCase(store, {}, T0);
    const deps = depsOf(store);
    const auditBefore = (await readAuditEntries(store.db, 0, 10_000)).length;
    for (const [to, at] of [
      ['triage', T0 + 1_000],
      ['containment', T0 + 2_000],
      ['eradication', T0 + 3_000],
      ['recovery', T0 + 4_000],
    ] as const) {
      await tx((trx) => changeCaseStatus(trx, deps, { caseId: kase.id, to, actor: ANALYST }, at));
    }
    const closed = await tx((trx) =>
      changeCaseStatus(
        trx,
        deps,
        { caseId: kase.id, to: 'closed', resolution: 'resolved', actor: ANALYST },
        T0 + 5_000,
      ),
    );
    expect(closed.case).toMatchObject({ status: 'closed', resolution: 'resolved', closedAt: T0 + 5_000 });
    const events = (await listCaseEvents(store.db, kase.id, { limit: 100 })).filter(
      (e) => e.type === 'status_changed',
    );
    expect(events.map((e) => e.data.to)).toEqual([
      'triage',
      'containment',
      'eradication',
      'recovery',
      'closed',
    ]);
    expect(events[0]).toMatchObject({ at: T0 + 1_000, actor: ANALYST, data: { from: 'new', to: 'triage' } });
    const audit = (await readAuditEntries(store.db, 0, 10_000)).slice(auditBefore);
    expect(audit.map((a) => a.action)).toEqual(Array(5).fill('case.status_changed'));
    const jobs = await store.db
      .selectFrom('queue_jobs')
      .selectAll()
      .where('kind', '=', 'case.event')
      .execute();
    const mine = jobs.filter((j) => (JSON.parse(j.payload) as { caseId: string }).caseId === kase.id);
    expect(mine.map((j) => j.dedupe_key).sort()).toEqual(events.map((e) => `case.event:${e.id}`).sort());

    const reopened = await tx((trx) =>
      changeCaseStatus(
        trx,
        deps,
        { caseId: kase.id, to: 'triage', reason: 'new evidence', actor: ANALYST },
        T0 + 6_000,
      ),
    );
    expect(reopened.case).toMatchObject({ status: 'triage', resolution: null, closedAt: null });
    expect(reopened.event?.data).toMatchObject({
      from: 'closed',
      to: 'triage',
      reopened: true,
      reason: 'new evidence',
    });
    expect((await readAuditEntries(store.db, 0, 10_000)).at(-1)?.action).toBe('case.reopened');
  });

  it('refuses an illegal transition and a close without resolution, writing nothing', async () => {
    const { store } = handle;
    const kase = await openCase(store, {}, T0);
    const deps = depsOf(store);
    const err = await failure(
      tx((trx) => changeCaseStatus(trx, deps, { caseId: kase.id, to: 'recovery', actor: ANALYST }, T0)),
    );
    expect(err.code).toBe('RIPOSTE_ILLEGAL_TRANSITION');
    expect(err.message).toContain('from new to recovery');
    await tx((trx) => changeCaseStatus(trx, deps, { caseId: kase.id, to: 'triage', actor: ANALYST }, T0));
    const missing = await failure(
      tx((trx) => changeCaseStatus(trx, deps, { caseId: kase.id, to: 'closed', actor: ANALYST }, T0)),
    );
    expect(missing.code).toBe('RIPOSTE_UNPROCESSABLE');
    expect((await findCaseById(store.db, kase.id))?.status).toBe('triage');
    const types = (await listCaseEvents(store.db, kase.id, { limit: 100 })).map((e) => e.type);
    expect(types).toEqual(['case_created', 'status_changed']);
    const unknown = await failure(
      tx((trx) => changeCaseStatus(trx, deps, { caseId: 'nope', to: 'triage', actor: ANALYST }, T0)),
    );
    expect(unknown.status).toBe(404);
  });

  it('updates fields with their old and new values, and keeps the tag index in step', async () => {
    const { store } = handle;
    const kase = await openCase(store, { tags: ['vpn'] }, T0);
    const patch = {
      severity: 'critical',
      assignee: 'bob',
      tags: ['vpn', 'exec'],
      title: kase.title,
    } as const;
    const { event, case: updated } = await tx((trx) =>
      updateCase(
        trx,
        depsOf(store),
        { caseId: kase.id, patch: { ...patch, tags: [...patch.tags] }, actor: ANALYST },
        T0 + 1,
      ),
    );
    expect(updated).toMatchObject({ severity: 'critical', assignee: 'bob', tags: ['vpn', 'exec'] });
    expect(event?.data.changes).toEqual({
      severity: { from: 'high', to: 'critical' },
      assignee: { from: null, to: 'bob' },
      tags: { from: ['vpn'], to: ['vpn', 'exec'] },
    });
    const tags = await store.db
      .selectFrom('case_tags')
      .select('tag')
      .where('case_id', '=', kase.id)
      .orderBy('tag')
      .execute();
    expect(tags.map((t) => t.tag)).toEqual(['exec', 'vpn']);
    // Creation scheduled three SLA checks; the severity change three more, at the new, earlier due times.
    const timers = await store.db
      .selectFrom('queue_jobs')
      .select('dedupe_key')
      .where('kind', '=', 'case.sla_check')
      .execute();
    expect(timers.filter((t) => t.dedupe_key?.includes(kase.id))).toHaveLength(6);
    const again = await tx((trx) =>
      updateCase(trx, depsOf(store), { caseId: kase.id, patch: { assignee: 'bob' }, actor: ANALYST }, T0 + 2),
    );
    expect(again.event).toBeNull();
  });

  it('adds and completes tasks, applies a template once, and comments', async () => {
    const { store } = handle;
    const kase = await openCase(store, {}, T0);
    const deps = depsOf(store);
    const task = await tx((trx) =>
      addCaseTask(
        trx,
        deps,
        { caseId: kase.id, title: 'Call the user', assignee: 'ana', dueAt: T0 + 10, actor: ANALYST },
        T0,
      ),
    );
    const done = await tx((trx) =>
      updateCaseTask(
        trx,
        deps,
        { caseId: kase.id, taskId: task.id, patch: { state: 'done' }, actor: ANALYST },
        T0 + 5,
      ),
    );
    expect(done).toMatchObject({ state: 'done', completedAt: T0 + 5 });
    const first = await tx((trx) =>
      applyTaskTemplate(trx, deps, { caseId: kase.id, caseType: 'phishing', actor: ANALYST }, T0),
    );
    const second = await tx((trx) =>
      applyTaskTemplate(trx, deps, { caseId: kase.id, caseType: 'phishing', actor: ANALYST }, T0),
    );
    expect(first.length).toBeGreaterThan(3);
    expect(first[0]?.dueAt).toBe(T0 + 3_600_000);
    expect(second).toEqual([]);
    expect(await listCaseTasks(store.db, kase.id)).toHaveLength(first.length + 1);
    await tx((trx) =>
      addCaseComment(
        trx,
        deps,
        { caseId: kase.id, body: '**Confirmed** with the user', actor: ANALYST },
        T0 + 6,
      ),
    );
    const types = (await listCaseEvents(store.db, kase.id, { limit: 100 })).map((e) => e.type);
    expect(types.filter((t) => t === 'task_added')).toHaveLength(first.length + 1);
    expect(types).toContain('task_updated');
    expect(types.at(-1)).toBe('comment_added');
  });

  it('sets a verdict, refuses a value of the wrong type, and counts sightings across cases and alerts', async () => {
    const { store } = handle;
    const [a, b, c] = [
      await openCase(store, {}, T0),
      await openCase(store, {}, T0),
      await openCase(store, {}, T0),
    ];
    const ip = await attachObservable(store, a.id, { type: 'ipv4', value: '203.0.113.9' }, T0);
    await attachObservable(store, b.id, { type: 'ipv4', value: '203.0.113.9' }, T0);
    await attachObservable(store, c.id, { type: 'ipv4', value: '203.0.113.9' }, T0);
    await insertAlert(store, { caseId: a.id, time: T0, observableIds: [ip] });
    const deps = depsOf(store);
    const result = await tx((trx) =>
      setObservableVerdict(
        trx,
        deps,
        {
          caseId: a.id,
          observable: { type: 'ipv4', value: '203.0.113[.]9' },
          verdict: 'malicious',
          source: 'analyst',
          actor: ANALYST,
        },
        T0,
      ),
    );
    expect(result.observableId).toBe(ip);
    const [seen] = await listCaseObservables(store.db, a.id);
    expect(seen).toMatchObject({
      value: '203.0.113.9',
      verdict: 'malicious',
      verdictSource: 'analyst',
      otherCases: 2,
      alerts: 1,
    });
    const wrong = await failure(
      tx((trx) =>
        setObservableVerdict(
          trx,
          deps,
          {
            caseId: a.id,
            observable: { type: 'ipv4', value: 'evil.example' },
            verdict: 'benign',
            source: 'x',
            actor: ANALYST,
          },
          T0,
        ),
      ),
    );
    expect(wrong.status).toBe(422);
    expect(wrong.message).toContain('not a valid ipv4');
    // Playbooks pass untyped values: an unknown type is a 422 naming the field, not a crash.
    const badType = await failure(
      tx((trx) =>
        setObservableVerdict(
          trx,
          deps,
          { observable: { type: 'ip', value: '1.2.3.4' }, verdict: 'benign', source: 'x', actor: ANALYST },
          T0,
        ),
      ),
    );
    expect(badType.details[0]?.path).toBe('observable.type');
    // A verdict on an observable no alert has carried yet creates it and attaches it to the case.
    const fresh = await tx((trx) =>
      setObservableVerdict(
        trx,
        deps,
        {
          caseId: b.id,
          observable: { type: 'domain', value: 'Bad.Example' },
          verdict: 'suspicious',
          source: 'vt',
          actor: ANALYST,
        },
        T0,
      ),
    );
    const onB = await listCaseObservables(store.db, b.id);
    expect(onB.find((o) => o.id === fresh.observableId)).toMatchObject({
      value: 'bad.example',
      verdict: 'suspicious',
      origin: 'manual',
    });
  });

  it('merges two cases without duplicates and points the merged one to the survivor', async () => {
    const { store } = handle;
    const deps = depsOf(store);
    const survivor = await openCase(store, { tags: ['a'] }, T0);
    const merged = await openCase(store, { tags: ['a', 'b'] }, T0 + 1);
    const shared = await attachObservable(store, survivor.id, { type: 'domain', value: 'merge.example' }, T0);
    await attachObservable(store, merged.id, { type: 'domain', value: 'merge.example' }, T0);
    const own = await attachObservable(
      store,
      merged.id,
      { type: 'domain', value: 'only-merged.example' },
      T0,
    );
    await insertAlert(store, { caseId: merged.id, time: T0 });
    await insertAlert(store, { caseId: merged.id, time: T0 });
    await tx((trx) => addCaseTask(trx, deps, { caseId: survivor.id, title: 'Same', actor: ANALYST }, T0));
    await tx((trx) => addCaseTask(trx, deps, { caseId: merged.id, title: 'Same', actor: ANALYST }, T0));
    await tx((trx) => addCaseTask(trx, deps, { caseId: merged.id, title: 'Different', actor: ANALYST }, T0));
    await tx((trx) =>
      addCaseComment(trx, deps, { caseId: merged.id, body: 'from merged', actor: ANALYST }, T0 + 2),
    );

    const result = await tx((trx) =>
      mergeCases(trx, deps, { survivorId: survivor.id, mergedId: merged.id, actor: ANALYST }, T0 + 10),
    );
    expect(result.moved).toEqual({ alerts: 2, observables: 1, tasks: 1, evidence: 0 });
    expect(result.merged).toMatchObject({
      status: 'closed',
      resolution: 'duplicate',
      mergedInto: survivor.id,
    });
    expect(result.survivor.tags).toEqual(['a', 'b']);
    const obs = (await listCaseObservables(store.db, survivor.id)).map((o) => o.id).sort();
    expect(obs).toEqual([shared, own].sort());
    expect((await listCaseTasks(store.db, survivor.id)).map((t) => t.title).sort()).toEqual([
      'Different',
      'Same',
    ]);
    const timeline = await listTimeline(store.db, survivor.id, { limit: 100 });
    const ids = timeline.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    expect(timeline.map((e) => e.type)).toContain('comment_added');
    expect(timeline.at(-1)?.type).toBe('case_merged');
    const again = await failure(
      tx((trx) => addCaseComment(trx, deps, { caseId: merged.id, body: 'x', actor: ANALYST }, T0)),
    );
    expect(again.code).toBe('RIPOSTE_CONFLICT');
    const self = await failure(
      tx((trx) =>
        mergeCases(trx, deps, { survivorId: survivor.id, mergedId: survivor.id, actor: ANALYST }, T0),
      ),
    );
    expect(self.status).toBe(422);
  });

  it('moves an alert and its observables to another case, on both timelines', async () => {
    const { store } = handle;
    const deps = depsOf(store);
    const from = await openCase(store, {}, T0);
    const to = await openCase(store, {}, T0);
    const obs = await attachObservable(store, from.id, { type: 'sha256', value: `${'a'.repeat(63)}b` }, T0);
    const alertId = await insertAlert(store, { caseId: from.id, time: T0, observableIds: [obs] });
    await tx((trx) => moveAlert(trx, deps, { alertId, toCaseId: to.id, actor: ANALYST }, T0 + 1));
    expect((await listCaseObservables(store.db, to.id)).map((o) => o.id)).toEqual([obs]);
    expect((await listCaseEvents(store.db, from.id, { limit: 10 })).map((e) => e.type)).toContain(
      'alert_removed',
    );
    expect((await listCaseEvents(store.db, to.id, { limit: 10 })).at(-1)?.data).toMatchObject({
      alertId,
      fromCaseId: from.id,
    });
    const missing = await failure(
      tx((trx) => moveAlert(trx, deps, { alertId: 'nope', toCaseId: to.id, actor: ANALYST }, T0)),
    );
    expect(missing.status).toBe(404);
  });

  it('accepts a post-incident review only on a closed case', async () => {
    const { store } = handle;
    const deps = depsOf(store);
    const kase = await openCase(store, {}, T0);
    const review = {
      caseId: kase.id,
      rootCause: 'Phish',
      lessonsLearned: 'MFA',
      followUps: [{ title: 'Train', done: false }],
      actor: ANALYST,
    };
    const early = await failure(tx((trx) => saveCaseReview(trx, deps, review, T0)));
    expect(early.code).toBe('RIPOSTE_CONFLICT');
    await tx((trx) => changeCaseStatus(trx, deps, { caseId: kase.id, to: 'triage', actor: ANALYST }, T0));
    await tx((trx) =>
      changeCaseStatus(
        trx,
        deps,
        { caseId: kase.id, to: 'closed', resolution: 'benign', actor: ANALYST },
        T0,
      ),
    );
    const saved = await tx((trx) => saveCaseReview(trx, deps, review, T0 + 1));
    expect(saved).toMatchObject({ rootCause: 'Phish', followUps: [{ title: 'Train', done: false }] });
  });
});
