import { durationMs } from '../domain/playbooks/playbook.schema.js';
import { cloneRunState } from './clone-state.js';
import type { CompiledPlaybook } from './compiled-playbook.js';
import { asStepFailure, Machine } from './machine.js';
import {
  TERMINAL_STATUSES,
  type BlobResolver,
  type Decision,
  type EffectFailure,
  type RunEvent,
  type RunState,
  type Thread,
} from './run-state.js';
import { startStep } from './step-kinds.js';

/** Steps one decision may run without waiting on anything: a guard against runaway fan-out. */
const MAX_STEPS_PER_DECISION = 10_000;

const BACKOFF_DEFAULT_MS = 1_000;

/**
 * The engine's reducer: given a playbook version, a run's state, one event and the time, computes the next
 * state and the commands for the worker. Pure and deterministic: no I/O, no clock, no randomness (`blobs`
 * reads stored outputs the worker loaded beforehand, immutable by id); a step
 * that throws fails itself (or goes to its on_error), never the caller.
 */
export function decide(
  pb: CompiledPlaybook,
  state: RunState,
  event: RunEvent,
  now: number,
  blobs?: BlobResolver,
): Decision {
  if (TERMINAL_STATUSES.includes(state.status)) return { state, commands: [] };
  const s = cloneRunState(state);
  s.seq += 1;
  const m = new Machine(pb, s, now, blobs);
  if (s.status === 'paused' && event.type !== 'resume' && event.type !== 'cancel' && event.type !== 'pause') {
    s.deferred.push(event);
    return { state: s, commands: m.commands };
  }
  apply(m, event);
  drive(m);
  if (m.commands.some((c) => c.type === 'request_approval')) s.approvals = true;
  if (!TERMINAL_STATUSES.includes(s.status) && s.status !== 'paused') {
    const busy = s.pending.length > 0 || Object.values(s.threads).some((t) => t.status === 'ready');
    s.status = busy ? 'running' : 'waiting';
  }
  return { state: s, commands: m.commands };
}

function apply(m: Machine, event: RunEvent): void {
  const s = m.s;
  switch (event.type) {
    case 'start':
      return;
    case 'pause':
      s.status = 'paused';
      return;
    case 'resume': {
      s.status = 'running';
      const deferred = s.deferred;
      s.deferred = [];
      for (const e of deferred) {
        apply(m, e);
        drive(m);
      }
      return;
    }
    case 'cancel':
      m.finishRun('cancelled', { code: 'CANCELLED', message: event.reason ?? 'cancelled' });
      return;
    case 'effect_succeeded': {
      const effect = s.pending.find((e) => e.id === event.effectId);
      const t = effect && m.thread(effect.threadId);
      if (!effect || !t) return;
      s.pending = s.pending.filter((e) => e.id !== effect.id);
      t.blocked = undefined;
      m.complete(t, m.stepOf(effect.stepId), event.output);
      return;
    }
    case 'effect_failed': {
      const effect = s.pending.find((e) => e.id === event.effectId);
      const t = effect && m.thread(effect.threadId);
      if (!effect || !t) return;
      s.pending = s.pending.filter((e) => e.id !== effect.id);
      t.blocked = undefined;
      retryOrFail(m, t, effect.stepId, event.error);
      return;
    }
    case 'effect_needs_approval': {
      // The approval policy holds this action back: the step parks on an approval, then runs it as is.
      const effect = s.pending.find((e) => e.id === event.effectId);
      const t = effect && m.thread(effect.threadId);
      if (!effect || !t) return;
      s.pending = s.pending.filter((e) => e.id !== effect.id);
      const key = `${effect.idempotencyKey}:approval`;
      const deadlineAt = m.now + event.timeoutMs;
      t.blocked = {
        kind: 'approval',
        key,
        escalated: true,
        effect: { ...effect, approved: true },
        timerId: m.schedule(t, deadlineAt, 'deadline'),
      };
      m.commands.push({
        type: 'request_approval',
        key,
        stepId: effect.stepId,
        stepPath: effect.stepPath,
        message: `Approve ${effect.name} ${JSON.stringify(effect.input)}: ${event.reason}`,
        approvers: event.approvers,
        quorum: event.quorum,
        deadlineAt,
        escalation: false,
        action: { name: effect.name, input: effect.input },
      });
      return;
    }
    case 'timer_fired': {
      const timer = s.timers[event.timerId];
      const t = timer && m.thread(timer.threadId);
      if (!timer || !t) return;
      delete s.timers[event.timerId];
      const step = m.current(t);
      if (!step) return;
      if (timer.purpose === 'retry') {
        t.attempt += 1;
        t.status = 'ready';
        t.blocked = undefined;
      } else if (timer.purpose === 'wait') {
        t.blocked = undefined;
        m.complete(t, step, { waitedUntil: m.now });
      } else if (timer.purpose === 'timeout') {
        m.fail(t, step, { code: 'TIMEOUT', message: `step ${step.id} timed out after ${step.timeout}` });
      } else {
        deadline(m, t);
      }
      return;
    }
    case 'approval_decided': {
      const t = Object.values(s.threads).find(
        (x) => x.blocked?.kind === 'approval' && x.blocked.key === event.key,
      );
      const step = t && m.current(t);
      if (!t || !step || t.blocked?.kind !== 'approval') return;
      const held = t.blocked.effect;
      m.clearBlock(t);
      if (held && event.decision === 'approved') {
        s.pending.push(held);
        t.status = 'blocked';
        t.blocked = { kind: 'effect', effectId: held.id };
        m.commands.push({ type: held.kind === 'action' ? 'execute_action' : 'case_operation', effect: held });
        return;
      }
      if (event.decision === 'approved')
        m.complete(t, step, { decision: 'approved', by: event.by, comment: event.comment ?? null });
      else
        m.fail(t, step, {
          code: 'APPROVAL_REJECTED',
          message: `rejected by ${event.by}${event.comment ? `: ${event.comment}` : ''}`,
        });
      return;
    }
    case 'subrun_finished': {
      const t = Object.values(s.threads).find(
        (x) => x.blocked?.kind === 'subrun' && x.blocked.key === event.key,
      );
      const step = t && m.current(t);
      if (!t || !step || t.blocked?.kind !== 'subrun') return;
      if (t.blocked.timerId) delete s.timers[t.blocked.timerId];
      t.blocked = undefined;
      if (event.status === 'succeeded') m.complete(t, step, event.output ?? null);
      else m.fail(t, step, event.error ?? { code: 'SUBRUN_FAILED', message: `sub-run of ${step.id} failed` });
      return;
    }
    case 'external': {
      for (const t of Object.values(s.threads)) {
        const b = t.blocked;
        const step = m.current(t);
        if (b?.kind !== 'event' || b.type !== event.eventType || !step) continue;
        try {
          if (b.condition && m.evaluate(t, b.condition, { event: event.data }) !== true) continue;
        } catch (err) {
          m.fail(t, step, asStepFailure(err).error);
          continue;
        }
        m.clearBlock(t);
        m.complete(t, step, { event: event.data });
      }
      return;
    }
  }
}

function retryOrFail(m: Machine, t: Thread, stepId: string, error: EffectFailure): void {
  const step = m.stepOf(stepId);
  const retry = step.retry;
  const retryable = retry?.on ? retry.on.includes(error.code) : error.retryable === true;
  if (retry && retryable && t.attempt < retry.attempts) {
    const base = retry.backoff ? durationMs(retry.backoff) : BACKOFF_DEFAULT_MS;
    const cap = retry.max_backoff ? durationMs(retry.max_backoff) : 3_600_000;
    const delay = Math.max(Math.min(cap, base * 2 ** (t.attempt - 1)), error.retryAfterMs ?? 0);
    t.status = 'blocked';
    t.blocked = { kind: 'retry', timerId: m.schedule(t, m.now + delay, 'retry') };
    return;
  }
  m.fail(t, step, { code: error.code, message: error.message });
}

function deadline(m: Machine, t: Thread): void {
  const step = m.current(t);
  if (!step || t.blocked?.kind !== 'approval') return;
  if (t.blocked.effect || step.kind !== 'approval') {
    m.fail(t, step, { code: 'APPROVAL_EXPIRED', message: `no decision on ${step.id} before its deadline` });
    return;
  }
  const outcome = step.on_deadline ?? 'reject';
  const block = t.blocked;
  if (outcome === 'approve') {
    m.clearBlock(t);
    m.complete(t, step, { decision: 'approved', by: 'deadline' });
  } else if (outcome === 'escalate' && !block.escalated && step.escalate_to?.length) {
    // One escalation round with the same deadline; if that passes too, the request is rejected.
    const deadlineAt = m.now + durationMs(step.deadline ?? '1h');
    block.escalated = true;
    block.timerId = m.schedule(t, deadlineAt, 'deadline');
    m.commands.push({
      type: 'request_approval',
      key: block.key,
      stepId: step.id,
      stepPath: m.stepPath(t, step),
      message: String(m.render(t, step.message)),
      approvers: step.escalate_to,
      quorum: step.quorum ?? 1,
      deadlineAt,
      escalation: true,
    });
  } else {
    m.fail(t, step, { code: 'APPROVAL_EXPIRED', message: `no decision on ${step.id} before its deadline` });
  }
}

/** Runs every ready thread until each blocks, finishes or fails. */
function drive(m: Machine): void {
  let budget = MAX_STEPS_PER_DECISION;
  for (;;) {
    if (TERMINAL_STATUSES.includes(m.s.status) || m.s.status === 'paused') return;
    const t = Object.values(m.s.threads).find((x) => x.status === 'ready');
    if (!t) return;
    budget -= 1;
    if (budget < 0) {
      m.finishRun('failed', {
        code: 'STEP_LIMIT',
        message: `more than ${MAX_STEPS_PER_DECISION} steps without waiting`,
      });
      return;
    }
    runOnce(m, t);
  }
}

function runOnce(m: Machine, t: Thread): void {
  const frame = t.stack.at(-1);
  if (!frame) {
    m.threadDone(t);
    return;
  }
  const list = m.pb.lists.get(frame.list) ?? [];
  if (frame.index >= list.length) {
    t.stack.pop();
    const parentStep = m.current(t);
    if (!parentStep) {
      if (t.stack.length === 0) m.threadDone(t);
      return;
    }
    // A branch or handler list ran to its end: the step that opened it is done.
    if (frame.handler) m.advance(t, parentStep);
    else m.complete(t, parentStep, { branch: frame.list.split('/')[1] ?? '' });
    return;
  }
  const step = list[frame.index];
  if (!step) return;
  try {
    startStep(m, t, step);
  } catch (err) {
    m.fail(t, step, asStepFailure(err).error);
  }
}
