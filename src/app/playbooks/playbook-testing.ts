import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  checkActionInput,
  checkFixtureOutput,
  type ActionContracts,
} from '../../connectors/framework/action-contract.js';
import { childLists } from '../../domain/playbooks/playbook-walk.js';
import type { Playbook, Step } from '../../domain/playbooks/playbook.schema.js';
import { isCaseStatus, planTransition, type CaseResolution } from '../../domain/cases/case-lifecycle.js';
import { TASK_TEMPLATES, type CaseType } from '../../domain/cases/task-templates.js';
import { canonicalJson } from '../../domain/shared/canonical-json.js';
import { invalid } from '../../domain/shared/errors.js';
import { compilePlaybook } from '../../engine/compiled-playbook.js';
import type { PendingEffect, StepEvent } from '../../engine/run-state.js';
import { simulateRun, type SimulationResult } from '../../engine/simulate.js';
import { resolveInputs } from './run-start.js';

const Fixture = z.union([
  z.object({ output: z.unknown() }),
  z.object({
    error: z.object({ code: z.string(), message: z.string().optional(), retryable: z.boolean().optional() }),
  }),
]);
export const FixtureMap = z.record(z.string(), z.union([Fixture, z.array(Fixture).min(1)]));
export type FixtureMap = z.infer<typeof FixtureMap>;

const ExpectedAction = z.object({ action: z.string(), input: z.record(z.string(), z.unknown()).optional() });
export const PlaybookTestFile = z.strictObject({
  playbook: z.string().optional(),
  tests: z
    .array(
      z.strictObject({
        name: z.string(),
        alert: z.unknown().optional(),
        case: z.record(z.string(), z.unknown()).optional(),
        inputs: z.record(z.string(), z.unknown()).default({}),
        fixtures: FixtureMap.default({}),
        approvals: z.enum(['approve', 'reject', 'none']).default('approve'),
        expect: z.strictObject({
          status: z.enum(['succeeded', 'failed', 'waiting']).optional(),
          error: z.string().optional(),
          actions: z.array(ExpectedAction).optional(),
          not_actions: z.array(z.string()).optional(),
          branches: z.record(z.string(), z.string()).optional(),
          case: z
            .strictObject({
              status: z.string().optional(),
              notes: z.number().optional(),
              tasks: z.number().optional(),
              verdicts: z.number().optional(),
            })
            .optional(),
          vars: z.record(z.string(), z.unknown()).optional(),
        }),
      }),
    )
    .min(1),
});
export type PlaybookTestFile = z.infer<typeof PlaybookTestFile>;

/** The case as case steps left it in a simulation. */
export interface SimulatedCase {
  status: string;
  notes: string[];
  tasks: string[];
  verdicts: Array<{ value: unknown; verdict: unknown }>;
}

export interface DryRunResult extends SimulationResult {
  case: SimulatedCase;
  /** Fixtures the action could never return (checked against the connector's output schema): test bugs. */
  fixtureProblems: string[];
}

const refused = (err: { code: string; message: string }) => ({
  error: { code: err.code, message: err.message, retryable: false },
});

/**
 * One simulated action answer. An action the registry knows is held to its real declaration: an input that
 * does not fit fails the step as the connector would (CONNECTOR_INVALID_INPUT), a fixture that does not
 * fit the output schema fails it too and is reported as a test bug; without a fixture it answers with the
 * connector's declared example. Actions the registry does not know answer as told, unchecked.
 */
function answer(
  effect: PendingEffect,
  world: {
    fixtures: FixtureMap;
    counts: Map<string, number>;
    contracts?: ActionContracts;
    example: (n: string) => unknown;
    fixtureProblems: string[];
  },
) {
  const name = effect.name;
  const n = world.counts.get(name) ?? 0;
  world.counts.set(name, n + 1);
  const contract = world.contracts?.action(name);
  const invalidInput = contract && checkActionInput(contract, effect.input);
  if (invalidInput) return refused(invalidInput);
  const f = world.fixtures[name];
  const fixture = Array.isArray(f) ? f[Math.min(n, f.length - 1)] : f;
  if (fixture && 'error' in fixture)
    return {
      error: {
        code: fixture.error.code,
        message: fixture.error.message ?? fixture.error.code,
        retryable: fixture.error.retryable ?? false,
      },
    };
  if (fixture && contract) {
    const fits = checkFixtureOutput(contract, fixture.output);
    if (!fits.ok) {
      world.fixtureProblems.push(fits.error.message);
      return refused(fits.error);
    }
    return { output: fits.output };
  }
  if (fixture) return { output: fixture.output };
  return { output: contract ? contract.action.example : (world.example(name) ?? {}) };
}

/**
 * Runs a playbook in simulation: actions answer with fixtures (else the connector's declared example
 * output), case steps change an in-memory case, approvals are decided as told, timers fire at once. Pass
 * the connector registry as `actions` so inputs and fixtures are checked against the real connectors.
 */
export function dryRunPlaybook(
  playbook: Playbook,
  input: {
    alert?: unknown;
    case?: Record<string, unknown>;
    inputs?: Record<string, unknown>;
    fixtures?: FixtureMap;
    approvals?: 'approve' | 'reject' | 'none';
    exampleOutput?: (action: string) => unknown;
    actions?: ActionContracts;
  },
): DryRunResult {
  const fixtureProblems: string[] = [];
  const kase: SimulatedCase = {
    status: String(input.case?.status ?? 'new'),
    notes: [],
    tasks: [],
    verdicts: [],
  };
  const counts = new Map<string, number>();
  const result = simulateRun(
    compilePlaybook(playbook),
    {
      alert: input.alert,
      case: input.case ?? { status: kase.status },
      // As a real start does: declared types checked, defaults filled.
      inputs: resolveInputs(playbook, input.inputs ?? {}),
    },
    {
      effect: (e: PendingEffect) => {
        if (e.kind === 'action')
          return answer(e, {
            fixtures: input.fixtures ?? {},
            counts,
            contracts: input.actions,
            example: input.exampleOutput ?? (() => ({})),
            fixtureProblems,
          });
        if (e.name === 'set_status') {
          // The lifecycle a real case enforces (new → triage → containment …): a playbook that skips a
          // phase fails here as it would against the store, not only in production.
          const to = String(e.input.status ?? '');
          const from = kase.status;
          if (!isCaseStatus(to) || !isCaseStatus(from))
            return refused({ code: 'RIPOSTE_VALIDATION', message: `${to} is not a case status` });
          // As on a real case: asking for the status it already has is done (another run got there first).
          if (to === from) return { output: { status: to, changed: false } };
          try {
            planTransition(from, to, (e.input.resolution as CaseResolution | undefined) ?? null);
          } catch (err) {
            const failure = err as { code?: string; message: string };
            return refused({ code: failure.code ?? 'RIPOSTE_ILLEGAL_TRANSITION', message: failure.message });
          }
          kase.status = to;
        }
        if (e.name === 'add_note') kase.notes.push(String(e.input.body ?? ''));
        if (e.name === 'add_task') kase.tasks.push(String(e.input.title ?? ''));
        if (e.name === 'apply_template') {
          const template = TASK_TEMPLATES[String(e.input.case_type) as CaseType] as
            (typeof TASK_TEMPLATES)[CaseType] | undefined;
          if (!template)
            return refused({
              code: 'RIPOSTE_VALIDATION',
              message: `no task template for case type ${String(e.input.case_type)}`,
            });
          kase.tasks.push(...template.map((t) => t.title).filter((t) => !kase.tasks.includes(t)));
        }
        if (e.name === 'set_verdict') kase.verdicts.push({ value: e.input.value, verdict: e.input.verdict });
        return { output: { ok: true } };
      },
      approval: () =>
        input.approvals === 'none'
          ? undefined
          : { decision: input.approvals === 'reject' ? 'rejected' : 'approved', by: 'dry-run' },
    },
  );
  return { ...result, case: kase, fixtureProblems };
}

export interface Coverage {
  steps: { covered: number; total: number; missed: string[] };
  branches: { covered: number; total: number; missed: string[] };
}

/** Every step id and every branch (`step:then`, `step:case0`, …) of a playbook, for coverage. */
function allTargets(playbook: Playbook): { steps: string[]; branches: string[] } {
  const steps: string[] = [];
  const branches: string[] = [];
  const walk = (list: Step[]): void => {
    for (const s of list) {
      steps.push(s.id);
      if (s.kind === 'if') branches.push(`${s.id}:then`, `${s.id}:else`);
      if (s.kind === 'switch') {
        s.cases.forEach((_c, i) => branches.push(`${s.id}:case${i}`));
        branches.push(`${s.id}:default`);
      }
      for (const c of childLists(s)) walk(c.steps);
    }
  };
  walk(playbook.steps);
  return { steps, branches };
}

export function coverageOf(playbook: Playbook, runs: StepEvent[][]): Coverage {
  const { steps, branches } = allTargets(playbook);
  const ran = new Set<string>();
  const took = new Set<string>();
  for (const events of runs)
    for (const e of events) {
      if (e.type === 'step.started' || e.type === 'step.succeeded' || e.type === 'step.failed')
        ran.add(e.stepId);
      if (e.type === 'step.branch' && e.branch) took.add(`${e.stepId}:${e.branch}`);
    }
  const missedSteps = steps.filter((s) => !ran.has(s));
  const missedBranches = branches.filter((b) => !took.has(b));
  return {
    steps: { covered: steps.length - missedSteps.length, total: steps.length, missed: missedSteps },
    branches: {
      covered: branches.length - missedBranches.length,
      total: branches.length,
      missed: missedBranches,
    },
  };
}

export interface PlaybookTestOutcome {
  name: string;
  passed: boolean;
  failures: string[];
  result: DryRunResult;
}

/** True when every key of `expected` matches `actual` (deeply), extra keys in `actual` allowed. */
function isSubset(expected: unknown, actual: unknown): boolean {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected))
    return (
      actual !== null &&
      typeof actual === 'object' &&
      Object.entries(expected).every(([k, v]) => isSubset(v, (actual as Record<string, unknown>)[k]))
    );
  return canonicalJson(expected) === canonicalJson(actual);
}

export function parsePlaybookTests(text: string, file = 'tests'): PlaybookTestFile {
  const parsed = PlaybookTestFile.safeParse(parseYaml(text));
  if (!parsed.success)
    throw invalid(
      `${file} is not a valid playbook test file`,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  return parsed.data;
}

/** Runs one test file's cases against a playbook. */
export function runPlaybookTests(
  playbook: Playbook,
  file: PlaybookTestFile,
  options: { exampleOutput?: (action: string) => unknown; actions?: ActionContracts } = {},
): { outcomes: PlaybookTestOutcome[]; coverage: Coverage } {
  const outcomes = file.tests.map((t) => {
    const result = dryRunPlaybook(playbook, {
      alert: t.alert,
      case: t.case,
      inputs: t.inputs,
      fixtures: t.fixtures,
      approvals: t.approvals,
      exampleOutput: options.exampleOutput,
      actions: options.actions,
    });
    const failures: string[] = [...new Set(result.fixtureProblems)];
    const x = t.expect;
    if (x.status && result.state.status !== x.status)
      failures.push(
        `status is ${result.state.status}${result.state.error ? ` (${result.state.error.code}: ${result.state.error.message})` : ''}, expected ${x.status}`,
      );
    if (x.error && result.state.error?.code !== x.error)
      failures.push(`error is ${result.state.error?.code ?? 'none'}, expected ${x.error}`);
    const actions = result.effects.filter((e) => e.kind === 'action');
    if (x.actions) {
      const seen = actions.map((a) => ({ action: a.name, input: a.input }));
      let from = 0;
      for (const want of x.actions) {
        const i = seen.findIndex(
          (s, j) => j >= from && s.action === want.action && isSubset(want.input ?? {}, s.input),
        );
        if (i < 0)
          failures.push(
            `expected action ${want.action}${want.input ? ` with ${canonicalJson(want.input)}` : ''} (in order); took ${seen.map((s) => `${s.action} ${canonicalJson(s.input)}`).join(', ') || 'none'}`,
          );
        else from = i + 1;
      }
    }
    for (const name of x.not_actions ?? [])
      if (actions.some((a) => a.name === name)) failures.push(`action ${name} ran but should not have`);
    for (const [step, branch] of Object.entries(x.branches ?? {})) {
      const took = result.steps.find((e) => e.type === 'step.branch' && e.stepId === step)?.branch;
      if (took !== branch) failures.push(`step ${step} took branch ${took ?? 'none'}, expected ${branch}`);
    }
    const c = x.case;
    if (c?.status && result.case.status !== c.status)
      failures.push(`case status is ${result.case.status}, expected ${c.status}`);
    if (c?.notes !== undefined && result.case.notes.length !== c.notes)
      failures.push(`case has ${result.case.notes.length} notes, expected ${c.notes}`);
    if (c?.tasks !== undefined && result.case.tasks.length !== c.tasks)
      failures.push(`case has ${result.case.tasks.length} tasks, expected ${c.tasks}`);
    if (c?.verdicts !== undefined && result.case.verdicts.length !== c.verdicts)
      failures.push(`case has ${result.case.verdicts.length} verdicts, expected ${c.verdicts}`);
    if (x.vars && !isSubset(x.vars, result.state.vars))
      failures.push(`vars are ${canonicalJson(result.state.vars)}, expected ${canonicalJson(x.vars)}`);
    return { name: t.name, passed: failures.length === 0, failures, result };
  });
  return {
    outcomes,
    coverage: coverageOf(
      playbook,
      outcomes.map((o) => o.result.steps),
    ),
  };
}
