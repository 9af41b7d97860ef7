import { describe, expect, it } from 'vitest';
import { loadPlaybookOrThrow } from '../domain/playbooks/playbook-loader.js';
import { compilePlaybook, type CompiledPlaybook } from './compiled-playbook.js';
import { decide } from './decide.js';
import { newRunState, type PendingEffect, type RunState } from './run-state.js';
import { simulateRun, type SimulatedWorld } from './simulate.js';

const compile = (yaml: string): CompiledPlaybook => compilePlaybook(loadPlaybookOrThrow(yaml));
const echo: SimulatedWorld = { effect: (e) => ({ output: { echoed: e.input } }) };
const start = (pb: CompiledPlaybook, trigger = {}): RunState =>
  decide(
    pb,
    newRunState({
      runId: 'r1',
      playbookId: pb.playbook.id,
      trigger: { inputs: {}, ...trigger },
      secretNames: pb.playbook.secrets,
      now: 0,
    }),
    { type: 'start' },
    0,
  ).state;

describe('decide', () => {
  it('runs set, if and action steps and emits one action with a stable idempotency key', () => {
    const pb = compile(`
id: p
name: P
steps:
  - { id: init, kind: set, vars: { ip: "{{ alert.ip }}" } }
  - id: check
    kind: if
    condition: alert.severity == "high"
    then:
      - { id: block, kind: action, action: fw.block, input: { ip: "{{ vars.ip }}" } }
    else:
      - { id: skip, kind: set, vars: { skipped: true } }
  - { id: done, kind: succeed, output: "{{ steps.block.output }}" }
`);
    const s0 = newRunState({
      runId: 'r1',
      playbookId: 'p',
      trigger: { inputs: {}, alert: { ip: '1.2.3.4', severity: 'high' } },
      now: 0,
    });
    const d1 = decide(pb, s0, { type: 'start' }, 10);
    expect(d1.state.status).toBe('running');
    // It never asked for an approval: none to close when it finishes.
    expect(d1.state.approvals).toBe(false);
    const actions = d1.commands.filter((c) => c.type === 'execute_action');
    expect(actions).toHaveLength(1);
    const effect = d1.state.pending[0] as PendingEffect;
    expect(effect).toMatchObject({
      name: 'fw.block',
      input: { ip: '1.2.3.4' },
      idempotencyKey: 'r1:block:1',
    });
    // Deciding the same event again from the same state gives the same result: the reducer is pure.
    expect(decide(pb, s0, { type: 'start' }, 10)).toEqual(d1);
    const d2 = decide(
      pb,
      d1.state,
      { type: 'effect_succeeded', effectId: effect.id, output: { ok: true } },
      20,
    );
    expect(d2.state.status).toBe('succeeded');
    expect(d2.state.output).toEqual({ ok: true });
    expect(d2.commands.at(-1)).toMatchObject({ type: 'complete_run', status: 'succeeded' });
  });

  it('takes switch cases and default, and skips steps whose when is false', () => {
    const pb = compile(`
id: p
name: P
steps:
  - id: sw
    kind: switch
    value: alert.kind
    cases:
      - { equals: malware, steps: [ { id: iso, kind: set, vars: { v: iso } } ] }
      - { equals: phish, steps: [ { id: mail, kind: set, vars: { v: mail } } ] }
    default: [ { id: other, kind: set, vars: { v: other } } ]
  - { id: guarded, kind: set, when: "vars.v == 'nothing'", vars: { g: 1 } }
`);
    const r = simulateRun(pb, { inputs: {}, alert: { kind: 'phish' } }, echo);
    expect(r.state.vars).toEqual({ v: 'mail' });
    expect(r.steps.filter((e) => e.type === 'step.branch').map((e) => e.branch)).toEqual(['case1']);
    expect(r.steps.find((e) => e.stepId === 'guarded')?.type).toBe('step.skipped');
    expect(simulateRun(pb, { inputs: {}, alert: { kind: 'x' } }, echo).state.vars).toEqual({ v: 'other' });
  });

  it('runs foreach with a concurrency limit and collects results in order', () => {
    const pb = compile(`
id: p
name: P
steps:
  - id: each
    kind: foreach
    items: alert.hosts
    as: host
    concurrency: 2
    do:
      - { id: isolate, kind: action, action: edr.isolate, input: { host: "{{ host }}", n: "{{ index }}" } }
`);
    const s = start(pb, { alert: { hosts: ['a', 'b', 'c'] } });
    expect(s.pending.map((e) => e.input.host)).toEqual(['a', 'b']);
    expect(s.pending.map((e) => e.idempotencyKey)).toEqual(['r1:each[0]/isolate:1', 'r1:each[1]/isolate:1']);
    const r = simulateRun(pb, { inputs: {}, alert: { hosts: ['a', 'b', 'c'] } }, echo);
    expect(r.state.status).toBe('succeeded');
    expect(r.state.steps?.each?.output).toEqual([
      { isolate: { echoed: { host: 'a', n: 0 } } },
      { isolate: { echoed: { host: 'b', n: 1 } } },
      { isolate: { echoed: { host: 'c', n: 2 } } },
    ]);
  });

  it('joins parallel branches and exposes their outputs', () => {
    const pb = compile(`
id: p
name: P
steps:
  - id: fan
    kind: parallel
    branches:
      - { name: a, steps: [ { id: x, kind: action, action: t.x } ] }
      - { name: b, steps: [ { id: y, kind: action, action: t.y } ] }
  - { id: after, kind: set, vars: { both: "{{ [steps.x.status, steps.y.status] }}" } }
`);
    const s = start(pb);
    expect(s.pending.map((e) => e.name)).toEqual(['t.x', 't.y']);
    const r = simulateRun(pb, { inputs: {} }, echo);
    expect(r.state.vars).toEqual({ both: ['succeeded', 'succeeded'] });
  });

  it('retries retryable failures with backoff timers and a new key per attempt, then fails', () => {
    const pb = compile(`
id: p
name: P
steps:
  - id: call
    kind: action
    action: t.flaky
    retry: { attempts: 3, backoff: 1s }
`);
    const keys: string[] = [];
    const r = simulateRun(
      pb,
      { inputs: {} },
      {
        effect: (e) => {
          keys.push(e.idempotencyKey);
          return { error: { code: 'CONNECTOR_UNAVAILABLE', message: 'down', retryable: true } };
        },
      },
    );
    expect(keys).toEqual(['dry-run:call:1', 'dry-run:call:2', 'dry-run:call:3']);
    expect(r.elapsedMs).toBe(3_000);
    expect(r.state.status).toBe('failed');
    expect(r.state.error?.code).toBe('CONNECTOR_UNAVAILABLE');
  });

  it('does not retry non-retryable errors and sends failures to on_error', () => {
    const pb = compile(`
id: p
name: P
steps:
  - id: call
    kind: action
    action: t.auth
    retry: { attempts: 3 }
    on_error: [ { id: note, kind: case, op: add_note, input: { body: "failed: {{ steps.call.error.code }}" } } ]
  - { id: after, kind: set, vars: { reached: true } }
`);
    const seen: string[] = [];
    const r = simulateRun(
      pb,
      { inputs: {} },
      {
        effect: (e) => {
          seen.push(e.name);
          return e.kind === 'action'
            ? { error: { code: 'CONNECTOR_AUTH_FAILED', message: 'no', retryable: false } }
            : { output: {} };
        },
      },
    );
    expect(seen).toEqual(['t.auth', 'add_note']);
    expect(r.effects[1]?.input).toEqual({ body: 'failed: CONNECTOR_AUTH_FAILED' });
    expect(r.state.status).toBe('succeeded');
    expect(r.state.vars).toEqual({ reached: true });
  });

  it('fails the run from a fail step inside a branch, and jumps to an on_error step id', () => {
    const failing = compile(`
id: p
name: P
steps:
  - id: check
    kind: if
    condition: "true"
    then: [ { id: stop, kind: fail, error: "bad {{ alert.x }}", code: BAD } ]
`);
    const r = simulateRun(failing, { inputs: {}, alert: { x: 1 } }, echo);
    expect(r.state).toMatchObject({ status: 'failed', error: { code: 'BAD', message: 'bad 1' } });
    const jumping = compile(`
id: p
name: P
steps:
  - { id: a, kind: set, vars: { v: "{{ alert.missing }}" }, on_error: recover }
  - { id: b, kind: set, vars: { v: b } }
  - { id: recover, kind: set, vars: { v: recovered } }
`);
    const j = simulateRun(jumping, { inputs: {}, alert: {} }, echo);
    expect(j.state.vars).toEqual({ v: 'recovered' });
    expect(j.steps.find((e) => e.stepId === 'a' && e.type === 'step.failed')?.error?.code).toBe(
      'EXPRESSION_ERROR',
    );
  });

  it('parks on approval; approves, rejects, and applies the deadline outcome', () => {
    const pb = compile(`
id: p
name: P
steps:
  - id: ok
    kind: approval
    message: "Isolate {{ alert.host }}?"
    approvers: [approver]
    quorum: 2
    deadline: 1h
    on_deadline: escalate
    escalate_to: [admin]
  - { id: go, kind: action, action: edr.isolate }
`);
    const s = start(pb, { alert: { host: 'h1' } });
    expect(s.status).toBe('waiting');
    // The run asked for an approval: its approvals are closed when it finishes (see commitDecision).
    expect(s.approvals).toBe(true);
    const approvalKey = 'r1:ok:1';
    const approved = decide(
      pb,
      s,
      { type: 'approval_decided', key: approvalKey, decision: 'approved', by: 'u2' },
      5,
    );
    expect(approved.state.pending[0]?.name).toBe('edr.isolate');
    const rejected = decide(
      pb,
      s,
      { type: 'approval_decided', key: approvalKey, decision: 'rejected', by: 'u2' },
      5,
    );
    expect(rejected.state).toMatchObject({ status: 'failed', error: { code: 'APPROVAL_REJECTED' } });
    const timerId = Object.keys(s.timers)[0] as string;
    const escalated = decide(pb, s, { type: 'timer_fired', timerId }, 3_600_000);
    expect(escalated.commands.find((c) => c.type === 'request_approval')).toMatchObject({
      approvers: ['admin'],
      escalation: true,
    });
    const second = Object.keys(escalated.state.timers)[0] as string;
    const expired = decide(pb, escalated.state, { type: 'timer_fired', timerId: second }, 7_200_000);
    expect(expired.state.error?.code).toBe('APPROVAL_EXPIRED');
  });

  it('waits for a duration, until a time, or for a matching event with a timeout', () => {
    const pb = compile(`
id: p
name: P
steps:
  - { id: pause, kind: wait, duration: 5m }
  - { id: until, kind: wait, until: "alert.at" }
  - { id: closed, kind: wait, event: { type: case.status, condition: "event.status == 'closed'" }, timeout: 1d }
`);
    const timed = simulateRun(pb, { inputs: {}, alert: { at: 900_000 } }, echo);
    expect(timed.state.error?.code).toBe('TIMEOUT');
    expect(timed.elapsedMs).toBe(900_000 + 86_400_000);
    let s = start(pb, { alert: { at: 900_000 } });
    s = decide(pb, s, { type: 'timer_fired', timerId: Object.keys(s.timers)[0] as string }, 300_000).state;
    s = decide(pb, s, { type: 'timer_fired', timerId: Object.keys(s.timers)[0] as string }, 900_000).state;
    s = decide(
      pb,
      s,
      { type: 'external', eventType: 'case.status', data: { status: 'triage' } },
      901_000,
    ).state;
    expect(s.status).toBe('waiting');
    s = decide(
      pb,
      s,
      { type: 'external', eventType: 'case.status', data: { status: 'closed' } },
      902_000,
    ).state;
    expect(s.status).toBe('succeeded');
  });

  it('starts sub-runs and uses their outputs', () => {
    const pb = compile(`
id: p
name: P
steps:
  - { id: child, kind: playbook, playbook: enrich, inputs: { ip: "{{ alert.ip }}" } }
  - { id: use, kind: set, vars: { score: "{{ steps.child.output.score }}" } }
`);
    const r = simulateRun(
      pb,
      { inputs: {}, alert: { ip: '1.1.1.1' } },
      {
        ...echo,
        subrun: (c) => ({ status: 'succeeded', output: { score: c.inputs.ip === '1.1.1.1' ? 7 : 0 } }),
      },
    );
    expect(r.state.vars).toEqual({ score: 7 });
  });

  it('cancels, pauses (deferring events) and resumes', () => {
    const pb = compile(`
id: p
name: P
steps:
  - { id: a, kind: action, action: t.a }
  - { id: b, kind: action, action: t.b }
`);
    const s = start(pb);
    const effectId = s.pending[0]?.id as string;
    const paused = decide(pb, s, { type: 'pause' }, 1).state;
    const late = decide(pb, paused, { type: 'effect_succeeded', effectId, output: 1 }, 2).state;
    expect(late.status).toBe('paused');
    expect(late.deferred).toHaveLength(1);
    const resumed = decide(pb, late, { type: 'resume' }, 3).state;
    expect(resumed.pending.map((e) => e.name)).toEqual(['t.b']);
    const cancelled = decide(pb, resumed, { type: 'cancel', reason: 'analyst' }, 4);
    expect(cancelled.state).toMatchObject({ status: 'cancelled', pending: [] });
    expect(decide(pb, cancelled.state, { type: 'resume' }, 5).commands).toEqual([]);
  });

  it('keeps secrets as markers in effect inputs', () => {
    const pb = compile(`
id: p
name: P
secrets: [token]
steps:
  - { id: a, kind: action, action: t.a, input: { auth: "Bearer {{ secrets.token }}" } }
`);
    const s = start(pb);
    expect(JSON.stringify(s)).not.toContain('real-secret');
    expect(s.pending[0]?.input.auth).toBe('Bearer \u00absecret:token\u00bb');
  });

  it('keeps a referenced output as its reference and reads it through the resolver when an expression does', () => {
    const pb = compile(`
id: p
name: P
steps:
  - { id: dump, kind: action, action: logs.dump }
  - { id: pick, kind: set, vars: { second: "{{ steps.dump.output.rows[1] }}" } }
  - { id: use, kind: action, action: logs.use, input: { n: "{{ size(steps.dump.output.rows) }}" } }
`);
    const s1 = start(pb);
    const effectId = (s1.pending[0] as PendingEffect).id;
    const ref = { $blob: 'b1', size: 99_999 };
    const read: string[] = [];
    const d = decide(pb, s1, { type: 'effect_succeeded', effectId, output: ref }, 1, (id) => {
      read.push(id);
      return { rows: ['a', 'b', 'c'] };
    });
    expect(d.state.threads.t0?.scope.dump?.output).toEqual(ref);
    expect(d.state.blobs).toEqual(['b1']);
    expect(d.state.vars.second).toBe('b');
    expect(d.state.pending[0]?.input).toEqual({ n: 3 });
    expect(read.length).toBeGreaterThan(0);
    // Without the value at hand the reading step fails; it never sees the marker as data.
    const blind = decide(pb, s1, { type: 'effect_succeeded', effectId, output: ref }, 1);
    expect(blind.state).toMatchObject({ status: 'failed', error: { code: 'OUTPUT_UNAVAILABLE' } });
  });
});
