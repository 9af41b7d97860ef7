import { ExpressionError } from '../domain/expressions/expression.js';
import { secretMarkers } from '../domain/expressions/secrets.js';
import { durationMs, type Step } from '../domain/playbooks/playbook.schema.js';
import type { CompiledPlaybook } from './compiled-playbook.js';
import {
  isBlobRef,
  type BlobResolver,
  type RunCommand,
  type RunError,
  type RunState,
  type StepEvent,
  type StepRecord,
  type Thread,
  type TimerRecord,
} from './run-state.js';

/** Thrown inside the machine to fail the current step; never escapes `decide`. */
export class StepFailure extends Error {
  constructor(readonly error: RunError) {
    super(error.message);
  }
}

/**
 * The mutable working copy of one decision: the state being changed, the commands produced, and the time.
 * Step kinds live in step-kinds.ts; this file holds what they share (context, completion, failure, threads).
 */
export class Machine {
  readonly commands: RunCommand[] = [];
  constructor(
    readonly pb: CompiledPlaybook,
    readonly s: RunState,
    readonly now: number,
    private readonly blobs?: BlobResolver,
  ) {}

  /** The value behind a blob reference (in a step's output or a foreach result), else the value itself. */
  resolve(value: unknown): unknown {
    if (isBlobRef(value)) {
      if (!this.blobs)
        throw new StepFailure({ code: 'OUTPUT_UNAVAILABLE', message: `output ${value.$blob} is not loaded` });
      return this.blobs(value.$blob);
    }
    return value;
  }

  /** Step records with their referenced outputs read back: only when the state holds any reference. */
  private resolveRecords(records: Record<string, StepRecord>): Record<string, StepRecord> {
    if (!this.s.blobs?.length) return records;
    const out: Record<string, StepRecord> = {};
    for (const [id, r] of Object.entries(records)) {
      let output = this.resolve(r.output);
      // A foreach step's output lists each iteration's outputs by step id; an iteration's may be a reference.
      if (Array.isArray(output))
        output = output.map((item: unknown) =>
          item !== null && typeof item === 'object' && !Array.isArray(item)
            ? Object.fromEntries(Object.entries(item).map(([k, v]) => [k, this.resolve(v)]))
            : this.resolve(item),
        );
      out[id] = output === r.output ? r : { ...r, output };
    }
    return out;
  }

  record(event: StepEvent): void {
    this.commands.push({ type: 'record', event });
  }

  newId(prefix: string): string {
    const id = `${prefix}${this.s.nextId}`;
    this.s.nextId += 1;
    return id;
  }

  thread(id: string): Thread | undefined {
    return this.s.threads[id];
  }

  stepOf(id: string): Step {
    const place = this.pb.places.get(id);
    const step = place && this.pb.lists.get(place.list)?.[place.index];
    if (!step) throw new Error(`step ${id} is not in this playbook version`);
    return step;
  }

  /** The step the thread is at, or undefined past the end of its list. */
  current(t: Thread): Step | undefined {
    const frame = t.stack.at(-1);
    return frame ? this.pb.lists.get(frame.list)?.[frame.index] : undefined;
  }

  stepPath(t: Thread, step: Step): string {
    return `${t.prefix}${step.id}`;
  }

  /** Outputs visible from a thread: its own, then its ancestors'. */
  visibleSteps(t: Thread): Record<string, StepRecord> {
    const chain: Thread[] = [];
    for (let c: Thread | undefined = t; c; c = c.parent ? this.s.threads[c.parent] : undefined)
      chain.unshift(c);
    return this.resolveRecords(Object.assign({}, ...chain.map((c) => c.scope)) as Record<string, StepRecord>);
  }

  context(t: Thread, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const locals: Record<string, unknown> = {};
    for (let c: Thread | undefined = t; c; c = c.parent ? this.s.threads[c.parent] : undefined)
      for (const [k, v] of Object.entries(c.locals)) if (!(k in locals)) locals[k] = v;
    return {
      alert: this.s.trigger.alert ?? null,
      case: this.s.trigger.case ?? null,
      event: this.s.trigger.event ?? null,
      inputs: this.s.trigger.inputs,
      vars: this.s.vars,
      steps: this.visibleSteps(t),
      secrets: secretMarkers(this.s.secretNames),
      run: { id: this.s.runId, playbook: this.s.playbookId },
      ...locals,
      ...extra,
    };
  }

  /** Evaluates or renders; expression errors become step failures. */
  evaluate(t: Thread, source: string, extra?: Record<string, unknown>): unknown {
    try {
      return this.pb.expressions.evaluate(source, this.context(t, extra));
    } catch (err) {
      throw asStepFailure(err);
    }
  }

  render(t: Thread, value: unknown, extra?: Record<string, unknown>): unknown {
    try {
      return this.pb.expressions.render(value, this.context(t, extra));
    } catch (err) {
      throw asStepFailure(err);
    }
  }

  schedule(t: Thread, at: number, purpose: TimerRecord['purpose']): string {
    const id = this.newId('timer');
    this.s.timers[id] = { threadId: t.id, at, purpose };
    this.commands.push({ type: 'schedule_timer', timerId: id, at });
    return id;
  }

  timeoutTimer(t: Thread, step: Step): string | undefined {
    return step.timeout ? this.schedule(t, this.now + durationMs(step.timeout), 'timeout') : undefined;
  }

  /** Moves past a step: to its `next` target or the following step. */
  advance(t: Thread, step: Step): void {
    const frame = t.stack.at(-1);
    if (!frame) return;
    if (step.next) frame.index = this.pb.places.get(step.next)?.index ?? frame.index + 1;
    else frame.index += 1;
    t.attempt = 1;
    t.status = 'ready';
    t.blocked = undefined;
  }

  complete(t: Thread, step: Step, output: unknown): void {
    if (isBlobRef(output)) (this.s.blobs ??= []).push(output.$blob);
    const record: StepRecord = { status: 'succeeded', output, attempts: t.attempt };
    t.scope[step.id] = record;
    if (step.outputs) {
      try {
        record.outputs = this.render(t, step.outputs) as Record<string, unknown>;
      } catch (err) {
        this.fail(t, step, asStepFailure(err).error);
        return;
      }
    }
    this.record({ type: 'step.succeeded', stepId: step.id, stepPath: this.stepPath(t, step), output });
    this.advance(t, step);
  }

  skip(t: Thread, step: Step): void {
    t.scope[step.id] = { status: 'skipped', attempts: 0 };
    this.record({ type: 'step.skipped', stepId: step.id, stepPath: this.stepPath(t, step) });
    this.advance(t, step);
  }

  /** Fails a step: to its on_error if it has one, else up through the enclosing steps, else the thread. */
  fail(t: Thread, step: Step, error: RunError): void {
    t.scope[step.id] = { status: 'failed', error, attempts: t.attempt };
    this.record({ type: 'step.failed', stepId: step.id, stepPath: this.stepPath(t, step), error });
    this.clearBlock(t);
    t.status = 'ready';
    const frame = t.stack.at(-1);
    if (step.on_error !== undefined && frame) {
      if (typeof step.on_error === 'string') {
        frame.index = this.pb.places.get(step.on_error)?.index ?? frame.index + 1;
        t.attempt = 1;
      } else {
        t.stack.push({ list: `${step.id}/on_error`, index: 0, handler: true });
      }
      return;
    }
    this.propagate(t, error);
  }

  /** Unwinds one list: the enclosing step fails, or the thread when there is none. */
  private propagate(t: Thread, error: RunError): void {
    const frame = t.stack.pop();
    const enclosing = this.current(t);
    if (!enclosing) {
      this.threadFailed(t, error);
      return;
    }
    // A failing on_error list leaves its step failed without running the same handler again.
    if (frame?.handler) this.propagate(t, error);
    else this.fail(t, enclosing, error);
  }

  clearBlock(t: Thread): void {
    const b = t.blocked;
    if (!b) return;
    if ('timerId' in b && b.timerId) delete this.s.timers[b.timerId];
    if (b.kind === 'effect') this.s.pending = this.s.pending.filter((e) => e.id !== b.effectId);
    if (b.kind === 'subrun') this.commands.push({ type: 'cancel_subrun', key: b.key });
    if (b.kind === 'join') for (const child of b.join.children) this.dropThread(child);
    t.blocked = undefined;
  }

  /** Removes a thread and everything it waits on (a cancelled sibling, a finished child). */
  dropThread(id: string): void {
    const t = this.s.threads[id];
    if (!t) return;
    this.clearBlock(t);
    delete this.s.threads[id];
  }

  spawn(parent: Thread, list: string, prefix: string, locals: Record<string, unknown>): Thread {
    const child: Thread = {
      id: this.newId('t'),
      parent: parent.id,
      prefix,
      stack: [{ list, index: 0 }],
      locals,
      scope: {},
      attempt: 1,
      status: 'ready',
    };
    this.s.threads[child.id] = child;
    return child;
  }

  threadDone(t: Thread): void {
    const parent = t.parent ? this.s.threads[t.parent] : undefined;
    if (!parent) {
      this.finishRun('succeeded');
      return;
    }
    const block = parent.blocked;
    delete this.s.threads[t.id];
    if (block?.kind !== 'join') return;
    const join = block.join;
    join.children = join.children.filter((c) => c !== t.id);
    const step = this.current(parent);
    if (!step) return;
    if (join.mode === 'parallel') {
      Object.assign(parent.scope, t.scope);
    } else {
      const index = Number(t.locals.index);
      join.results[index] = Object.fromEntries(
        Object.entries(t.scope).map(([k, r]) => [k, r.outputs ?? r.output]),
      );
      this.spawnIterations(parent, step, join);
    }
    if (join.children.length === 0 && join.nextItem >= join.items.length) {
      parent.blocked = undefined;
      this.complete(parent, step, join.mode === 'parallel' ? { branches: join.results } : join.results);
    }
  }

  spawnIterations(
    parent: Thread,
    step: Step,
    join: { children: string[]; items: unknown[]; nextItem: number; concurrency: number },
  ): void {
    if (step.kind !== 'foreach') return;
    while (join.children.length < join.concurrency && join.nextItem < join.items.length) {
      const index = join.nextItem;
      join.nextItem += 1;
      const child = this.spawn(parent, `${step.id}/do`, `${parent.prefix}${step.id}[${index}]/`, {
        [step.as ?? 'item']: join.items[index],
        index,
      });
      join.children.push(child.id);
    }
  }

  threadFailed(t: Thread, error: RunError): void {
    const parent = t.parent ? this.s.threads[t.parent] : undefined;
    if (!parent) {
      this.finishRun('failed', error);
      return;
    }
    delete this.s.threads[t.id];
    const step = this.current(parent);
    if (step) this.fail(parent, step, error);
  }

  finishRun(status: 'succeeded' | 'failed' | 'cancelled', error?: RunError, output?: unknown): void {
    if (this.s.finishedAt !== undefined) return;
    const root = this.s.threads.t0;
    if (root) this.s.steps = root.scope;
    this.s.status = status;
    this.s.finishedAt = this.now;
    if (error) this.s.error = error;
    if (status === 'succeeded') {
      if (output !== undefined) this.s.output = output;
      else if (this.pb.playbook.outputs && root) {
        try {
          this.s.output = this.render(root, this.pb.playbook.outputs);
        } catch (err) {
          this.s.status = 'failed';
          this.s.error = asStepFailure(err).error;
        }
      }
    }
    for (const id of Object.keys(this.s.threads)) this.dropThread(id);
    this.s.pending = [];
    this.s.timers = {};
    const done = this.s.status as 'succeeded' | 'failed' | 'cancelled';
    this.commands.push({ type: 'complete_run', status: done, output: this.s.output, error: this.s.error });
  }
}

export function asStepFailure(err: unknown): StepFailure {
  if (err instanceof StepFailure) return err;
  if (err instanceof ExpressionError)
    return new StepFailure({ code: 'EXPRESSION_ERROR', message: `${err.message} in \`${err.source}\`` });
  return new StepFailure({ code: 'STEP_ERROR', message: err instanceof Error ? err.message : String(err) });
}
