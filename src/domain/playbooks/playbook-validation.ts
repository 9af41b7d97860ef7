import { checkExpression } from '../expressions/expression.js';
import { templateExpressions } from '../expressions/template.js';
import { approvalPromptKeys, type ApprovalPrompt } from './approval-prompt.js';
import { parseCron } from './cron.js';
import type { Playbook, Step } from './playbook.schema.js';
import { childLists, stepExpressions } from './playbook-walk.js';

type Path = Array<string | number>;

export interface SemanticProblem {
  path: Path;
  message: string;
  hint?: string;
}

/** What validation may ask of the outside world; each check is skipped when its question is not given. */
export interface ValidationOptions {
  /** True when some connector declares the action. */
  actionExists?: (action: string) => boolean;
  /**
   * The action's declaration (its input JSON Schema, as the connector registry's `describe` gives it), or
   * undefined when no connector declares it: static input keys are checked against it.
   */
  describeAction?: (action: string) => { inputSchema: unknown; approvalPrompt?: ApprovalPrompt } | undefined;
  /** True when the secret is configured where the workers will resolve it. */
  secretExists?: (name: string) => boolean;
  /** How to configure a missing secret, for the problem's hint. */
  secretHint?: (name: string) => string;
  /** True when a playbook with this id exists (for `playbook` steps). */
  playbookExists?: (id: string) => boolean;
}

const TERMINAL = new Set(['succeed', 'fail']);
const BOOLEAN_ISH = new Set(['bool', 'dyn']);

/**
 * The rules a schema cannot say: unique ids, `next`/`on_error` targets, cycles, unreachable steps, expressions
 * that do not parse or type-check, and references to steps, variables, inputs, secrets, actions and
 * playbooks that do not exist. Returns every problem, not the first.
 */
export function validatePlaybook(pb: Playbook, options: ValidationOptions = {}): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const ids = new Map<string, Path>();
  const varNames = new Set<string>();
  const collect = (steps: Step[], path: Path): void => {
    steps.forEach((step, i) => {
      const p = [...path, i];
      const seen = ids.get(step.id);
      if (seen)
        problems.push({
          path: [...p, 'id'],
          message: `step id ${step.id} is used twice`,
          hint: 'give every step its own id',
        });
      else ids.set(step.id, p);
      if (step.kind === 'set') Object.keys(step.vars).forEach((v) => varNames.add(v));
      for (const child of childLists(step)) collect(child.steps, [...p, ...child.path]);
    });
  };
  collect(pb.steps, ['steps']);
  const inputNames = new Set(Object.keys(pb.inputs ?? {}));
  const secretNames = new Set(pb.secrets ?? []);
  for (const [i, name] of (pb.secrets ?? []).entries()) {
    if (options.secretExists && !options.secretExists(name))
      problems.push({
        path: ['secrets', i],
        message: `secret ${name} is not configured`,
        hint: options.secretHint?.(name) ?? 'configure it where the workers read secrets',
      });
  }

  const checkExpr = (source: string, path: Path, loopVars: string[], wantBool: boolean): void => {
    const result = checkExpression(source, loopVars);
    if (!result.ok) {
      problems.push({
        path,
        message: `expression \`${source}\`: ${result.error}`,
        hint: 'see the CEL language definition; values come from alert, case, inputs, steps, vars',
      });
      return;
    }
    if (wantBool && result.type && !BOOLEAN_ISH.has(result.type))
      problems.push({
        path,
        message: `condition \`${source}\` is a ${result.type}, not a bool`,
        hint: 'compare it, e.g. `x == "value"` or `size(x) > 0`',
      });
    for (const m of source.matchAll(/\b(steps|vars|inputs|secrets)\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const [, root, name] = m;
      if (!name) continue;
      if (root === 'steps' && !ids.has(name))
        problems.push({
          path,
          message: `\`${source}\` refers to step ${name}, which does not exist`,
          hint: `defined steps: ${[...ids.keys()].join(', ')}`,
        });
      if (root === 'vars' && !varNames.has(name))
        problems.push({
          path,
          message: `\`${source}\` reads variable ${name}, which no set step defines`,
          hint: 'define it in a `set` step before use',
        });
      if (root === 'inputs' && !inputNames.has(name))
        problems.push({
          path,
          message: `\`${source}\` reads input ${name}, which the playbook does not declare`,
          hint: 'declare it under `inputs:`',
        });
      if (root === 'secrets' && !secretNames.has(name))
        problems.push({
          path,
          message: `\`${source}\` reads secret ${name}, which the playbook does not declare`,
          hint: 'list it under `secrets:`',
        });
    }
  };

  const checkList = (steps: Step[], path: Path, loopVars: string[]): void => {
    const index = new Map(steps.map((s, i) => [s.id, i]));
    const edges: number[][] = steps.map(() => []);
    steps.forEach((step, i) => {
      const p = [...path, i];
      const jump = (target: string, key: string): void => {
        const j = index.get(target);
        if (j === undefined)
          problems.push({
            path: [...p, key],
            message: `${key} target ${target} is not a step of this list`,
            hint: `jump to one of: ${steps.map((s) => s.id).join(', ')}`,
          });
        else edges[i]?.push(j);
      };
      if (step.next !== undefined) jump(step.next, 'next');
      else if (!TERMINAL.has(step.kind) && i + 1 < steps.length) edges[i]?.push(i + 1);
      if (typeof step.on_error === 'string') jump(step.on_error, 'on_error');
      if (step.kind === 'action' && options.actionExists && !options.actionExists(step.action))
        problems.push({
          path: [...p, 'action'],
          message: `no connector provides action ${step.action}`,
          hint: 'check the name with `riposte connector list`',
        });
      if (step.kind === 'action' && options.describeAction) {
        const declared = options.describeAction(step.action);
        if (declared)
          problems.push(...checkActionInputKeys(step.action, step.input, declared.inputSchema, p));
      }
      if (step.kind === 'approval')
        step.notify?.forEach((n, j) =>
          problems.push(...checkApprovalNotify(n, [...p, 'notify', j], options)),
        );
      if (step.kind === 'playbook' && options.playbookExists && !options.playbookExists(step.playbook))
        problems.push({
          path: [...p, 'playbook'],
          message: `playbook ${step.playbook} does not exist`,
          hint: 'publish it first, or fix the id',
        });
      if (step.kind === 'playbook' && step.playbook === pb.id)
        problems.push({
          path: [...p, 'playbook'],
          message: `playbook ${pb.id} calls itself`,
          hint: 'a sub-run of itself never ends; restructure it',
        });
      if (
        step.kind === 'wait' &&
        [step.duration, step.until, step.event].filter((x) => x !== undefined).length !== 1
      )
        problems.push({ path: p, message: 'a wait step needs exactly one of duration, until or event' });
      const stepVars = step.kind === 'foreach' ? [...loopVars, step.as ?? 'item'] : loopVars;
      for (const e of stepExpressions(step)) {
        const vars = e.inBody ? stepVars : loopVars;
        if (e.template)
          for (const src of templateExpressions(e.value)) checkExpr(src, [...p, ...e.path], vars, false);
        else if (typeof e.value === 'string') checkExpr(e.value, [...p, ...e.path], vars, e.bool);
      }
      for (const child of childLists(step)) checkList(child.steps, [...p, ...child.path], stepVars);
    });
    // Cycles: a jump back to a step that leads to itself would never end.
    const state = steps.map(() => 0);
    const visit = (i: number): boolean => {
      if (state[i] === 1) return true;
      if (state[i] === 2) return false;
      state[i] = 1;
      const cyclic = (edges[i] ?? []).some(visit);
      state[i] = 2;
      return cyclic;
    };
    steps.forEach((s, i) => {
      if (state[i] === 0 && visit(i))
        problems.push({
          path: [...path, i],
          message: `steps from ${s.id} form a cycle`,
          hint: 'use foreach for repetition; jumps must go forward',
        });
    });
    // Unreachable: nothing falls through or jumps to it from the first step.
    const reached = new Set<number>();
    const stack = steps.length > 0 ? [0] : [];
    while (stack.length) {
      const i = stack.pop() as number;
      if (reached.has(i)) continue;
      reached.add(i);
      stack.push(...(edges[i] ?? []));
    }
    steps.forEach((s, i) => {
      if (!reached.has(i))
        problems.push({
          path: [...path, i],
          message: `step ${s.id} can never run`,
          hint: 'a step before it ends the list or jumps past it; remove it or jump to it',
        });
    });
  };
  checkList(pb.steps, ['steps'], []);
  pb.triggers.forEach((t, i) => {
    if ('condition' in t && t.condition) checkExpr(t.condition, ['triggers', i, 'condition'], [], true);
    if (t.type === 'schedule') {
      try {
        parseCron(t.cron);
      } catch (err) {
        problems.push({
          path: ['triggers', i, 'cron'],
          message: (err as Error).message,
          hint: 'five fields in UTC, e.g. "0 6 * * 1" for Mondays at 06:00',
        });
      }
    }
  });
  for (const src of templateExpressions(pb.outputs ?? {})) checkExpr(src, ['outputs'], [], false);
  return problems;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * An action step's input keys against the action's input JSON Schema: a key the action does not declare
 * (the connector would drop it without a word) and a required key that is missing. Only the keys written in
 * the playbook are checked; their values may be expressions, which only a run can check.
 */
function checkActionInputKeys(
  action: string,
  input: Record<string, unknown> | undefined,
  schema: unknown,
  stepPath: Path,
): SemanticProblem[] {
  if (!isRecord(schema) || !isRecord(schema.properties)) return [];
  const accepted = Object.keys(schema.properties);
  const required = Array.isArray(schema.required)
    ? schema.required.filter((k): k is string => typeof k === 'string')
    : [];
  const given = Object.keys(input ?? {});
  const hint = `${action} accepts: ${accepted.map((k) => (required.includes(k) ? `${k} (required)` : k)).join(', ')}`;
  const problems: SemanticProblem[] = [];
  for (const key of given)
    if (!accepted.includes(key))
      problems.push({
        path: [...stepPath, 'input', key],
        message: `action ${action} has no input ${key}`,
        hint,
      });
  const missing = required.filter((k) => !given.includes(k));
  if (missing.length > 0)
    problems.push({
      path: input ? [...stepPath, 'input'] : stepPath,
      message: `action ${action} needs input ${missing.join(', ')}`,
      hint,
    });
  return problems;
}

/**
 * An approval step's `notify` target: an action that can carry an approval request, `to` exactly when its
 * buttons are signed links, and input keys the action takes (those Riposte fills are not the playbook's).
 */
function checkApprovalNotify(
  notify: NonNullable<Extract<Step, { kind: 'approval' }>['notify']>[number],
  path: Path,
  options: ValidationOptions,
): SemanticProblem[] {
  if (options.actionExists && !options.actionExists(notify.action))
    return [
      {
        path: [...path, 'action'],
        message: `no connector provides action ${notify.action}`,
        hint: 'check the name with `riposte connector list`',
      },
    ];
  const declared = options.describeAction?.(notify.action);
  if (!declared) return [];
  const prompt = declared.approvalPrompt;
  if (!prompt)
    return [
      {
        path: [...path, 'action'],
        message: `action ${notify.action} cannot carry an approval request`,
        hint: 'use an action made for it, such as teams.request_approval or slack.request_approval',
      },
    ];
  const problems: SemanticProblem[] = [];
  if (prompt.via === 'links' && !notify.to)
    problems.push({
      path,
      message: `${notify.action} carries signed approval links: say whose, with to`,
      hint: 'to: [alice, bob] (Riposte usernames of approvers); each gets their own approve / reject links',
    });
  if (prompt.via === 'callback' && notify.to)
    problems.push({
      path: [...path, 'to'],
      message: `${notify.action}'s buttons call back into Riposte: to does not apply`,
      hint: "who may click is the connector instance's approvers mapping",
    });
  const filled = approvalPromptKeys(prompt);
  for (const key of Object.keys(notify.input ?? {}))
    if (filled.includes(key))
      problems.push({
        path: [...path, 'input', key],
        message: `${key} is filled in by Riposte for the approval`,
        hint: 'leave it out',
      });
  const given = Object.fromEntries(
    [...filled, prompt.message, ...Object.keys(notify.input ?? {})].map((k) => [k, true]),
  );
  problems.push(...checkActionInputKeys(notify.action, given, declared.inputSchema, path));
  return problems;
}
