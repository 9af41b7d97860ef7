import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app/context.js';
import { publishPlaybook } from '../../src/app/playbooks/playbook-catalog.js';
import { createRunServices } from '../../src/app/playbooks/run-control.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { findCaseById, listCaseEvents } from '../../src/store/cases/case.repository.js';
import { findRunById } from '../../src/store/runs/run.repository.js';
import { createCaseOperations } from '../../src/worker/runs/case-operations-adapter.js';
import { createRunQueueBindings } from '../../src/worker/runs/run-queue.js';
import { createTestContext } from '../support/api.js';
import { openCase } from '../cases/case-fixtures.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { drainQueues } from './run-driver.js';

const PLAYBOOK = `
id: case-work
name: Case work
steps:
  - { id: note, kind: case, op: add_note, input: { body: "Automated triage started" } }
  - { id: task, kind: case, op: add_task, input: { title: "Call the user" } }
  - { id: checklist, kind: case, op: apply_template, input: { case_type: phishing } }
  - { id: checklist_again, kind: case, op: apply_template, input: { case_type: phishing } }
  - { id: verdict, kind: case, op: set_verdict, input: { type: ipv4, value: 203.0.113.5, verdict: malicious } }
  - { id: triage, kind: case, op: set_status, input: { status: triage } }
  - { id: triage_again, kind: case, op: set_status, input: { status: triage } }
  - { id: illegal, kind: case, op: set_status, input: { status: recovery }, on_error: [ { id: noted, kind: case, op: add_note, input: { body: "could not move: {{ steps.illegal.error.code }}" } } ] }
`;

describe.each(DIALECTS)('case steps through the cases capability on %s', (dialect) => {
  let handle: TestStoreHandle;
  let ctx: AppContext;

  beforeAll(async () => {
    handle = await openTestStore(dialect);
    ctx = createTestContext(handle.store);
    await publishPlaybook(ctx, { source: PLAYBOOK, actor: SYSTEM_ACTOR });
  });
  afterAll(() => handle.cleanup());

  it('adds notes and tasks, sets verdicts and moves the case, each in the step commit; an illegal move goes to on_error', async () => {
    const kase = await openCase(ctx.store, { title: 'Phish', severity: 'high' }, ctx.clock.now());
    const { runId } = await createRunServices(ctx).startManualRun({
      playbookId: 'case-work',
      inputs: {},
      caseId: kase.id,
      actor: SYSTEM_ACTOR,
    });
    const cases = createCaseOperations({ newId: ctx.newId, dialect: ctx.store.dialect });
    await drainQueues(
      ctx,
      createRunQueueBindings(ctx, {
        actions: { describe: () => undefined, execute: async () => ({ output: {} }) },
        cases,
      }),
    );
    expect(await findRunById(ctx.store.db, runId)).toMatchObject({ status: 'succeeded' });
    expect((await findCaseById(ctx.store.db, kase.id))?.status).toBe('triage');
    const events = await listCaseEvents(ctx.store.db, kase.id, { limit: 100 });
    const types = JSON.stringify(events);
    expect(types).toContain('Automated triage started');
    expect(types).toContain('Call the user');
    // The phishing checklist is added once, however often a playbook asks for it.
    const tasks = await ctx.store.db
      .selectFrom('case_tasks')
      .select('title')
      .where('case_id', '=', kase.id)
      .execute();
    const titles = tasks.map((t) => t.title);
    expect(titles).toContain('Collect the reported message');
    expect(titles.filter((t) => t === 'Collect the reported message')).toHaveLength(1);
    expect(types).toContain('could not move: RIPOSTE_ILLEGAL_TRANSITION');
    // Asking again for the status the case already has (another run of the same case) is done, not a conflict.
    const run = await findRunById(ctx.store.db, runId);
    expect(JSON.parse(run?.state ?? '{}').steps?.triage_again?.output ?? null).toMatchObject({
      changed: false,
    });
    expect(events.filter((e) => e.type === 'status_changed')).toHaveLength(1);
  });
});
