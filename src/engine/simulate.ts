import type { CompiledPlaybook } from './compiled-playbook.js';
import { decide } from './decide.js';
import {
  newRunState,
  type EffectFailure,
  type PendingEffect,
  type RunCommand,
  type RunState,
  type RunTrigger,
  type StepEvent,
} from './run-state.js';

/** How a simulated world answers: an effect's output or failure, approvals, sub-runs, external events. */
export interface SimulatedWorld {
  effect(effect: PendingEffect): { output: unknown } | { error: EffectFailure };
  approval?(
    request: Extract<RunCommand, { type: 'request_approval' }>,
  ): { decision: 'approved' | 'rejected'; by: string } | undefined;
  subrun?(request: Extract<RunCommand, { type: 'start_subrun' }>): {
    status: 'succeeded' | 'failed';
    output?: unknown;
  };
}

export interface SimulationResult {
  state: RunState;
  steps: StepEvent[];
  effects: PendingEffect[];
  commands: RunCommand[];
  /** Virtual time the run took (timers fire at once, the clock jumps). */
  elapsedMs: number;
}

/**
 * Runs a playbook to its end in memory with the pure reducer: effects are answered by `world`, timers fire
 * as soon as nothing else can happen (the clock jumps to them). Used by dry runs and playbook tests; the
 * durable runtime drives the very same reducer through the store.
 */
export function simulateRun(
  pb: CompiledPlaybook,
  trigger: RunTrigger,
  world: SimulatedWorld,
  options: { runId?: string; start?: number; maxDecisions?: number } = {},
): SimulationResult {
  const start = options.start ?? 0;
  let now = start;
  let state = newRunState({
    runId: options.runId ?? 'dry-run',
    playbookId: pb.playbook.id,
    trigger,
    secretNames: pb.playbook.secrets ?? [],
    now,
  });
  const steps: StepEvent[] = [];
  const effects: PendingEffect[] = [];
  const commands: RunCommand[] = [];
  const queue: Array<() => Parameters<typeof decide>[2]> = [() => ({ type: 'start' })];
  let budget = options.maxDecisions ?? 10_000;
  while (budget > 0 && !['succeeded', 'failed', 'cancelled'].includes(state.status)) {
    budget -= 1;
    const next = queue.shift();
    let event: Parameters<typeof decide>[2];
    if (next) event = next();
    else if (state.pending[0]) {
      const effect = state.pending[0];
      effects.push(effect);
      const answer = world.effect(effect);
      event =
        'output' in answer
          ? { type: 'effect_succeeded', effectId: effect.id, output: answer.output }
          : { type: 'effect_failed', effectId: effect.id, error: answer.error };
    } else {
      const timers = Object.entries(state.timers).sort((a, b) => a[1].at - b[1].at);
      const first = timers[0];
      if (!first) break;
      now = Math.max(now, first[1].at);
      event = { type: 'timer_fired', timerId: first[0] };
    }
    const decision = decide(pb, state, event, now);
    state = decision.state;
    for (const c of decision.commands) {
      commands.push(c);
      if (c.type === 'record') steps.push(c.event);
      if (c.type === 'request_approval') {
        const answer = world.approval?.(c);
        if (answer) queue.push(() => ({ type: 'approval_decided', key: c.key, ...answer }));
      }
      if (c.type === 'start_subrun') {
        const answer = world.subrun?.(c) ?? { status: 'succeeded' as const, output: {} };
        queue.push(() => ({ type: 'subrun_finished', key: c.key, ...answer }));
      }
    }
  }
  return { state, steps, effects, commands, elapsedMs: now - start };
}
