/**
 * The persisted state of one run, as the reducer sees it. Plain JSON: the worker stores it as one document
 * per run and hands it back on the next event. Everything a step needs later (outputs, variables, what it
 * waits for) lives here, so a new worker process resumes exactly where the last commit left off.
 */

export const RunStatus = {
  running: 'running',
  waiting: 'waiting',
  paused: 'paused',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface RunError {
  code: string;
  message: string;
}

/**
 * A large output kept outside the run state (the worker stores it once, by id), in the place of the value.
 * The state carries this small marker, so a 10 MB output is not rewritten with every later step; an
 * expression that reads it gets the value through the `blobs` resolver given to `decide`.
 */
export interface BlobRef {
  $blob: string;
  size: number;
}

export const isBlobRef = (v: unknown): v is BlobRef =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as { $blob?: unknown }).$blob === 'string' &&
  Object.keys(v).length === 2;

/** Reads a stored output by id; throws when it cannot (the step reading it fails). */
export type BlobResolver = (id: string) => unknown;

export interface StepRecord {
  status: 'succeeded' | 'failed' | 'skipped';
  output?: unknown;
  outputs?: Record<string, unknown>;
  error?: RunError;
  attempts: number;
}

/** A position in a step list; `handler` frames run an on_error list and resume after the failed step. */
export interface Frame {
  list: string;
  index: number;
  handler?: boolean;
}

export interface Join {
  mode: 'parallel' | 'foreach';
  children: string[];
  items: unknown[];
  nextItem: number;
  concurrency: number;
  results: unknown[];
}

export type Block =
  | { kind: 'effect'; effectId: string; timerId?: string }
  | { kind: 'retry'; timerId: string }
  | { kind: 'wait'; timerId: string }
  | { kind: 'event'; type: string; condition?: string; timerId?: string }
  | { kind: 'approval'; key: string; timerId?: string; escalated: boolean; effect?: PendingEffect }
  | { kind: 'subrun'; key: string; timerId?: string }
  | { kind: 'join'; join: Join };

export interface Thread {
  id: string;
  parent?: string;
  /** Prefix of step paths in this thread: `each[2]/` inside the third foreach iteration. */
  prefix: string;
  stack: Frame[];
  locals: Record<string, unknown>;
  scope: Record<string, StepRecord>;
  attempt: number;
  status: 'ready' | 'blocked';
  blocked?: Block;
}

/** Work the reducer asked the worker to do outside itself: a connector call or a case operation. */
export interface PendingEffect {
  id: string;
  threadId: string;
  stepId: string;
  stepPath: string;
  attempt: number;
  kind: 'action' | 'case';
  /** `vendor.action` for actions, the case operation (`add_task`, …) for case steps. */
  name: string;
  instance?: string;
  input: Record<string, unknown>;
  idempotencyKey: string;
  timeoutMs?: number;
  /** Set once the approval policy's approval for this effect was granted. */
  approved?: boolean;
}

export interface TimerRecord {
  threadId: string;
  at: number;
  purpose: 'retry' | 'wait' | 'timeout' | 'deadline';
}

export interface RunTrigger {
  alert?: unknown;
  case?: unknown;
  event?: unknown;
  inputs: Record<string, unknown>;
}

export interface RunState {
  runId: string;
  playbookId: string;
  status: RunStatus;
  /** Bumped on every decision: the worker's optimistic lock, and part of queue dedupe keys. */
  seq: number;
  trigger: RunTrigger;
  vars: Record<string, unknown>;
  threads: Record<string, Thread>;
  nextId: number;
  pending: PendingEffect[];
  timers: Record<string, TimerRecord>;
  /** Events that arrived while paused, replayed on resume. */
  deferred: RunEvent[];
  secretNames: string[];
  /** Ids of the blobs the state refers to (see BlobRef), so a worker can load them before deciding. */
  blobs?: string[];
  /**
   * Whether the run ever asked for an approval: false from its start until it does. Absent in states stored
   * before the field existed, which count as having asked (their approvals are closed when they finish).
   */
  approvals?: boolean;
  /** The root thread's step records, kept when the run finishes. */
  steps?: Record<string, StepRecord>;
  output?: unknown;
  error?: RunError;
  startedAt: number;
  finishedAt?: number;
}

export interface EffectFailure {
  code: string;
  message: string;
  retryable?: boolean;
  retryAfterMs?: number;
}

export type RunEvent =
  | { type: 'start' }
  | { type: 'effect_succeeded'; effectId: string; output: unknown }
  | { type: 'effect_failed'; effectId: string; error: EffectFailure }
  | {
      type: 'effect_needs_approval';
      effectId: string;
      approvers: string[];
      quorum: number;
      reason: string;
      timeoutMs: number;
    }
  | { type: 'timer_fired'; timerId: string }
  | { type: 'approval_decided'; key: string; decision: 'approved' | 'rejected'; by: string; comment?: string }
  | {
      type: 'subrun_finished';
      key: string;
      status: 'succeeded' | 'failed';
      output?: unknown;
      error?: RunError;
    }
  | { type: 'external'; eventType: string; data: unknown }
  | { type: 'cancel'; reason?: string }
  | { type: 'pause' }
  | { type: 'resume' };

/** What happened to a step, for run events, dry-run output and test coverage. */
export interface StepEvent {
  type: 'step.started' | 'step.succeeded' | 'step.failed' | 'step.skipped' | 'step.branch';
  stepId: string;
  stepPath: string;
  attempt?: number;
  branch?: string;
  input?: unknown;
  output?: unknown;
  error?: RunError;
}

/** One `notify` target of an approval step, rendered: the worker sends it once the approval exists. */
export interface ApprovalNotice {
  action: string;
  instance?: string;
  to?: string[];
  linkTtlMs?: number;
  input: Record<string, unknown>;
}

export type RunCommand =
  | { type: 'execute_action'; effect: PendingEffect }
  | { type: 'case_operation'; effect: PendingEffect }
  | { type: 'schedule_timer'; timerId: string; at: number }
  | {
      type: 'request_approval';
      key: string;
      stepId: string;
      stepPath: string;
      message: string;
      approvers: string[];
      quorum: number;
      deadlineAt?: number;
      escalation: boolean;
      /** The action the approval lets run, with its input as planned (secret markers, never values). */
      action?: { name: string; input?: Record<string, unknown> };
      /** Messages announcing the approval, inputs rendered now (secret markers, never values). */
      notify?: ApprovalNotice[];
    }
  | { type: 'start_subrun'; key: string; stepId: string; playbook: string; inputs: Record<string, unknown> }
  | { type: 'cancel_subrun'; key: string }
  | { type: 'record'; event: StepEvent }
  | {
      type: 'complete_run';
      status: 'succeeded' | 'failed' | 'cancelled';
      output?: unknown;
      error?: RunError;
    };

export interface Decision {
  state: RunState;
  commands: RunCommand[];
}

/** A new run's state before its `start` event. */
export function newRunState(input: {
  runId: string;
  playbookId: string;
  trigger: RunTrigger;
  secretNames?: string[];
  now: number;
}): RunState {
  return {
    runId: input.runId,
    playbookId: input.playbookId,
    status: 'running',
    seq: 0,
    trigger: input.trigger,
    vars: {},
    threads: {
      t0: {
        id: 't0',
        prefix: '',
        stack: [{ list: 'root', index: 0 }],
        locals: {},
        scope: {},
        attempt: 1,
        status: 'ready',
      },
    },
    nextId: 1,
    pending: [],
    timers: {},
    deferred: [],
    secretNames: input.secretNames ?? [],
    approvals: false,
    startedAt: input.now,
  };
}
