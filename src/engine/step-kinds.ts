import { durationMs, type Step } from '../domain/playbooks/playbook.schema.js';
import { canonicalJson } from '../domain/shared/canonical-json.js';
import { StepFailure, type Machine } from './machine.js';
import type { PendingEffect, Thread } from './run-state.js';

const asRecord = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** A time from an expression: epoch milliseconds or an RFC 3339 string. */
function toTime(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return t;
  }
  throw new StepFailure({
    code: 'EXPRESSION_ERROR',
    message: `wait.until gave ${canonicalJson(value)}, not a time`,
  });
}

/**
 * The action an approval step guards: the action step right after it, with its input rendered as it
 * stands now (left out when it depends on what is not known yet), so approvers see the exact call.
 */
function guardedAction(m: Machine, t: Thread): { name: string; input?: Record<string, unknown> } | undefined {
  const frame = t.stack.at(-1);
  const next = frame ? m.pb.lists.get(frame.list)?.[frame.index + 1] : undefined;
  if (next?.kind !== 'action') return undefined;
  try {
    return { name: next.action, input: asRecord(m.render(t, next.input ?? {})) };
  } catch {
    return { name: next.action };
  }
}

/** Starts the step the thread is at. Pure steps finish here; effectful ones block the thread. */
export function startStep(m: Machine, t: Thread, step: Step): void {
  const path = m.stepPath(t, step);
  if (step.when !== undefined && m.evaluate(t, step.when) !== true) {
    m.skip(t, step);
    return;
  }
  m.record({ type: 'step.started', stepId: step.id, stepPath: path, attempt: t.attempt });
  const key = `${m.s.runId}:${path}:${t.attempt}`;
  const branch = (name: string, list: string | undefined): void => {
    m.record({ type: 'step.branch', stepId: step.id, stepPath: path, branch: name });
    if (list) t.stack.push({ list: `${step.id}/${list}`, index: 0 });
    else m.complete(t, step, { branch: name });
  };
  switch (step.kind) {
    case 'set': {
      const values = asRecord(m.render(t, step.vars));
      Object.assign(m.s.vars, values);
      m.complete(t, step, values);
      return;
    }
    case 'if': {
      const cond = m.evaluate(t, step.condition);
      if (typeof cond !== 'boolean')
        throw new StepFailure({ code: 'EXPRESSION_ERROR', message: `condition of ${step.id} is not a bool` });
      if (cond) branch('then', 'then');
      else branch('else', step.else ? 'else' : undefined);
      return;
    }
    case 'switch': {
      const value = canonicalJson(m.evaluate(t, step.value));
      const i = step.cases.findIndex((c) => canonicalJson(c.equals) === value);
      if (i >= 0) branch(`case${i}`, `case${i}`);
      else branch('default', step.default ? 'default' : undefined);
      return;
    }
    case 'action':
    case 'case': {
      const input = asRecord(m.render(t, step.input ?? {}));
      const effect: PendingEffect = {
        id: m.newId('e'),
        threadId: t.id,
        stepId: step.id,
        stepPath: path,
        attempt: t.attempt,
        kind: step.kind,
        name: step.kind === 'action' ? step.action : step.op,
        input,
        idempotencyKey: key,
      };
      if (step.kind === 'action' && step.instance) effect.instance = step.instance;
      if (step.timeout) effect.timeoutMs = durationMs(step.timeout);
      m.s.pending.push(effect);
      t.status = 'blocked';
      t.blocked = { kind: 'effect', effectId: effect.id };
      m.commands.push({ type: step.kind === 'action' ? 'execute_action' : 'case_operation', effect });
      return;
    }
    case 'foreach': {
      const items = m.evaluate(t, step.items);
      if (!Array.isArray(items))
        throw new StepFailure({ code: 'EXPRESSION_ERROR', message: `items of ${step.id} is not a list` });
      if (items.length === 0) {
        m.complete(t, step, []);
        return;
      }
      const join = {
        mode: 'foreach' as const,
        children: [],
        items,
        nextItem: 0,
        concurrency: step.concurrency ?? 1,
        results: [],
      };
      t.status = 'blocked';
      t.blocked = { kind: 'join', join };
      m.spawnIterations(t, step, join);
      return;
    }
    case 'parallel': {
      const join = {
        mode: 'parallel' as const,
        children: [] as string[],
        items: [],
        nextItem: 0,
        concurrency: step.branches.length,
        results: step.branches.map((b) => b.name),
      };
      t.status = 'blocked';
      t.blocked = { kind: 'join', join };
      step.branches.forEach((_b, i) =>
        join.children.push(m.spawn(t, `${step.id}/branch${i}`, t.prefix, {}).id),
      );
      return;
    }
    case 'playbook': {
      const inputs = asRecord(m.render(t, step.inputs ?? {}));
      t.status = 'blocked';
      t.blocked = { kind: 'subrun', key, timerId: m.timeoutTimer(t, step) };
      m.commands.push({ type: 'start_subrun', key, stepId: step.id, playbook: step.playbook, inputs });
      return;
    }
    case 'approval': {
      const message = String(m.render(t, step.message));
      const deadlineAt = step.deadline ? m.now + durationMs(step.deadline) : undefined;
      const timerId = deadlineAt !== undefined ? m.schedule(t, deadlineAt, 'deadline') : undefined;
      t.status = 'blocked';
      t.blocked = { kind: 'approval', key, timerId, escalated: false };
      m.commands.push({
        type: 'request_approval',
        key,
        stepId: step.id,
        stepPath: path,
        message,
        approvers: step.approvers,
        quorum: step.quorum ?? 1,
        deadlineAt,
        escalation: false,
        action: guardedAction(m, t),
        ...(step.notify
          ? {
              notify: step.notify.map((n) => ({
                action: n.action,
                ...(n.instance ? { instance: n.instance } : {}),
                ...(n.to ? { to: n.to } : {}),
                ...(n.link_ttl ? { linkTtlMs: durationMs(n.link_ttl) } : {}),
                input: asRecord(m.render(t, n.input ?? {})),
              })),
            }
          : {}),
      });
      return;
    }
    case 'wait': {
      t.status = 'blocked';
      if (step.event) {
        t.blocked = {
          kind: 'event',
          type: step.event.type,
          condition: step.event.condition,
          timerId: m.timeoutTimer(t, step),
        };
        return;
      }
      const at = step.duration ? m.now + durationMs(step.duration) : toTime(m.evaluate(t, step.until ?? '0'));
      t.blocked = { kind: 'wait', timerId: m.schedule(t, Math.max(at, m.now), 'wait') };
      return;
    }
    case 'succeed': {
      const output = step.output === undefined ? undefined : m.render(t, step.output);
      t.scope[step.id] = { status: 'succeeded', output, attempts: 1 };
      m.record({ type: 'step.succeeded', stepId: step.id, stepPath: path, output });
      m.finishRun('succeeded', undefined, output);
      return;
    }
    case 'fail': {
      const message = String(m.render(t, step.error));
      throw new StepFailure({ code: step.code ?? 'PLAYBOOK_FAILED', message });
    }
  }
}
