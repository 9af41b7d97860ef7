import { z } from 'zod';

/**
 * The playbook format, one zod source: it parses loaded YAML/JSON, types the engine, and is published as
 * JSON Schema (`riposte playbook schema`). Nested step lists (branches, loop bodies) keep playbooks readable
 * top to bottom; every step has an id unique in its playbook, which is how expressions, `next` jumps and
 * run records name it.
 */

export const STEP_KINDS = [
  'action',
  'if',
  'switch',
  'foreach',
  'parallel',
  'playbook',
  'approval',
  'wait',
  'set',
  'case',
  'succeed',
  'fail',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** `30s`, `5m`, `2h`, `1d`, `250ms`. */
export const Duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration like 30s, 5m, 2h or 1d')
  .describe('a duration: a number followed by ms, s, m, h or d');

const StepId = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and underscores, starting with a letter');

/** A value whose strings may carry `{{ expression }}` interpolation. */
const Template = z.unknown();

export const Retry = z.strictObject({
  attempts: z.int().min(1).max(20).describe('total attempts, the first included'),
  backoff: Duration.optional().describe('delay before the second attempt; doubles each time'),
  max_backoff: Duration.optional(),
  on: z.array(z.string()).optional().describe('error codes to retry; retryable connector errors when absent'),
});

const common = {
  id: StepId,
  name: z.string().optional(),
  when: z.string().optional().describe('CEL condition; the step is skipped when false'),
  retry: Retry.optional(),
  timeout: Duration.optional(),
  next: StepId.optional().describe('the id of a later step in the same list to continue with'),
  outputs: z.record(z.string(), Template).optional().describe('values kept as this step’s outputs'),
};

export type Step =
  | ActionStep
  | IfStep
  | SwitchStep
  | ForeachStep
  | ParallelStep
  | PlaybookStep
  | ApprovalStep
  | WaitStep
  | SetStep
  | CaseStep
  | SucceedStep
  | FailStep;

interface Common {
  id: string;
  name?: string;
  when?: string;
  retry?: z.infer<typeof Retry>;
  timeout?: string;
  next?: string;
  outputs?: Record<string, unknown>;
  on_error?: string | Step[];
}
export interface ActionStep extends Common {
  kind: 'action';
  action: string;
  instance?: string;
  input?: Record<string, unknown>;
}
export interface IfStep extends Common {
  kind: 'if';
  condition: string;
  then: Step[];
  else?: Step[];
}
export interface SwitchStep extends Common {
  kind: 'switch';
  value: string;
  cases: Array<{ equals: unknown; steps: Step[] }>;
  default?: Step[];
}
export interface ForeachStep extends Common {
  kind: 'foreach';
  items: string;
  as?: string;
  concurrency?: number;
  do: Step[];
}
export interface ParallelStep extends Common {
  kind: 'parallel';
  branches: Array<{ name: string; steps: Step[] }>;
}
export interface PlaybookStep extends Common {
  kind: 'playbook';
  playbook: string;
  inputs?: Record<string, unknown>;
}
export interface ApprovalStep extends Common {
  kind: 'approval';
  message: string;
  approvers: string[];
  quorum?: number;
  deadline?: string;
  on_deadline?: 'reject' | 'approve' | 'escalate';
  escalate_to?: string[];
  notify?: ApprovalNotify[];
}

/**
 * Where a parked approval is announced: a connector action that can carry an approval request (Teams, Slack),
 * called once the approval exists, with its id and, for link buttons, signed one-click links for each of `to`.
 */
export const ApprovalNotifySchema = z.strictObject({
  action: z.string().describe('an action that carries approval requests, e.g. teams.request_approval'),
  instance: z.string().optional(),
  to: z
    .array(z.string().min(1))
    .min(1)
    .max(5)
    .optional()
    .describe('Riposte usernames whose signed approve / reject links the message carries (link buttons)'),
  link_ttl: Duration.optional().describe('how long the links work; until the deadline (or 4h) when absent'),
  input: z.record(z.string(), Template).optional().describe('the action’s other input; may interpolate'),
});
export type ApprovalNotify = z.infer<typeof ApprovalNotifySchema>;
export interface WaitStep extends Common {
  kind: 'wait';
  duration?: string;
  until?: string;
  event?: { type: string; condition?: string };
}
export interface SetStep extends Common {
  kind: 'set';
  vars: Record<string, unknown>;
}
export interface CaseStep extends Common {
  kind: 'case';
  op: 'add_task' | 'apply_template' | 'add_note' | 'set_verdict' | 'set_status';
  input: Record<string, unknown>;
}
export interface SucceedStep extends Common {
  kind: 'succeed';
  output?: unknown;
}
export interface FailStep extends Common {
  kind: 'fail';
  error: string;
  code?: string;
}

const stepList = (): z.ZodType<Step[]> => z.array(StepSchema);

// Getters make the schema recursive for both parsing and `z.toJSONSchema`.
const withErrorHandler = {
  get on_error() {
    return z.union([StepId, stepList()]).optional();
  },
};

export const StepSchema: z.ZodType<Step> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('action'),
      action: z.string().describe('`vendor.action` or an OpenC2 intent'),
      instance: z.string().optional(),
      input: z.record(z.string(), Template).optional(),
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('if'),
      condition: z.string(),
      get then() {
        return stepList();
      },
      get else() {
        return stepList().optional();
      },
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('switch'),
      value: z.string(),
      get cases() {
        return z.array(z.strictObject({ equals: z.unknown(), steps: stepList() }));
      },
      get default() {
        return stepList().optional();
      },
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('foreach'),
      items: z.string().describe('CEL expression giving a list'),
      as: z
        .string()
        .regex(/^[a-z][a-z0-9_]*$/)
        .optional(),
      concurrency: z.int().min(1).max(64).optional(),
      get do() {
        return stepList();
      },
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('parallel'),
      get branches() {
        return z.array(z.strictObject({ name: z.string(), steps: stepList() })).min(1);
      },
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('playbook'),
      playbook: z.string(),
      inputs: z.record(z.string(), Template).optional(),
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('approval'),
      message: z.string(),
      approvers: z.array(z.string()).min(1).describe('roles allowed to decide'),
      quorum: z.int().min(1).max(10).optional(),
      deadline: Duration.optional(),
      on_deadline: z.enum(['reject', 'approve', 'escalate']).optional(),
      escalate_to: z.array(z.string()).optional(),
      notify: z.array(ApprovalNotifySchema).min(1).max(5).optional(),
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('wait'),
      duration: Duration.optional(),
      until: z.string().optional().describe('CEL expression giving a time (ms since epoch or RFC 3339)'),
      event: z.strictObject({ type: z.string(), condition: z.string().optional() }).optional(),
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('set'),
      vars: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), Template),
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('case'),
      op: z.enum(['add_task', 'apply_template', 'add_note', 'set_verdict', 'set_status']),
      input: z.record(z.string(), Template),
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('succeed'),
      output: Template.optional(),
    }),
    z.strictObject({
      ...common,
      ...withErrorHandler,
      kind: z.literal('fail'),
      error: z.string(),
      code: z.string().optional(),
    }),
  ]),
);

export const InputType = z.enum(['string', 'number', 'boolean', 'object', 'list']);

export const TriggerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('alert'), condition: z.string().optional() }),
  z.strictObject({
    type: z.literal('case_event'),
    events: z.array(z.string()).optional(),
    condition: z.string().optional(),
  }),
  z.strictObject({ type: z.literal('schedule'), cron: z.string() }),
  z.strictObject({ type: z.literal('manual') }),
  z.strictObject({ type: z.literal('webhook'), condition: z.string().optional() }),
]);
export type Trigger = z.infer<typeof TriggerSchema>;

export const PlaybookSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
  name: z.string(),
  description: z.string().optional(),
  version: z.string().optional().describe('the author’s label; stored versions are numbered by Riposte'),
  triggers: z.array(TriggerSchema).default([]),
  inputs: z
    .record(
      z.string(),
      z.strictObject({
        type: InputType,
        required: z.boolean().optional(),
        default: z.unknown().optional(),
        description: z.string().optional(),
      }),
    )
    .optional(),
  secrets: z.array(z.string()).optional().describe('names of secrets the playbook reads'),
  trust: z.enum(['untrusted', 'reviewed', 'trusted']).optional(),
  time_saved_minutes: z.number().min(0).optional().describe('analyst time one run saves, for health'),
  review_by: z.string().optional(),
  outputs: z.record(z.string(), Template).optional(),
  get steps() {
    return z.array(StepSchema).min(1);
  },
});
export type Playbook = z.infer<typeof PlaybookSchema>;

/** The published JSON Schema of the playbook format. */
export function playbookJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PlaybookSchema, { io: 'input', unrepresentable: 'any', cycles: 'ref' }) as Record<
    string,
    unknown
  >;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5m` → 300000. Durations were validated by the schema, so a bad one here is a programming error. */
export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
}
