import type { Step } from './playbook.schema.js';

/** A nested step list of a step, with its key (how run state names it) and its path in the document. */
export interface ChildList {
  key: string;
  path: Array<string | number>;
  steps: Step[];
}

/** The nested lists of a step: branches, cases, loop bodies, an inline on_error. */
export function childLists(step: Step): ChildList[] {
  const lists: ChildList[] = [];
  switch (step.kind) {
    case 'if':
      lists.push({ key: 'then', path: ['then'], steps: step.then });
      if (step.else) lists.push({ key: 'else', path: ['else'], steps: step.else });
      break;
    case 'switch':
      step.cases.forEach((c, i) =>
        lists.push({ key: `case${i}`, path: ['cases', i, 'steps'], steps: c.steps }),
      );
      if (step.default) lists.push({ key: 'default', path: ['default'], steps: step.default });
      break;
    case 'foreach':
      lists.push({ key: 'do', path: ['do'], steps: step.do });
      break;
    case 'parallel':
      step.branches.forEach((b, i) =>
        lists.push({ key: `branch${i}`, path: ['branches', i, 'steps'], steps: b.steps }),
      );
      break;
    default:
      break;
  }
  if (Array.isArray(step.on_error)) lists.push({ key: 'on_error', path: ['on_error'], steps: step.on_error });
  return lists;
}

export interface StepExpression {
  path: Array<string | number>;
  value: unknown;
  /** A template (strings with `{{ … }}`) rather than a bare CEL expression. */
  template: boolean;
  bool: boolean;
  /** Evaluated per loop item (sees the foreach variable). */
  inBody: boolean;
}

/** Every expression a step evaluates, for validation. */
export function stepExpressions(step: Step): StepExpression[] {
  const out: StepExpression[] = [];
  const cel = (path: Array<string | number>, value: unknown, bool = false): void => {
    out.push({ path, value, template: false, bool, inBody: false });
  };
  const tpl = (path: Array<string | number>, value: unknown, inBody = false): void => {
    out.push({ path, value, template: true, bool: false, inBody });
  };
  if (step.when) cel(['when'], step.when, true);
  if (step.outputs) tpl(['outputs'], step.outputs);
  switch (step.kind) {
    case 'action':
      tpl(['input'], step.input ?? {});
      break;
    case 'if':
      cel(['condition'], step.condition, true);
      break;
    case 'switch':
      cel(['value'], step.value);
      break;
    case 'foreach':
      cel(['items'], step.items);
      break;
    case 'playbook':
      tpl(['inputs'], step.inputs ?? {});
      break;
    case 'approval':
      tpl(['message'], step.message);
      step.notify?.forEach((n, i) => tpl(['notify', i, 'input'], n.input ?? {}));
      break;
    case 'wait':
      if (step.until) cel(['until'], step.until);
      if (step.event?.condition) cel(['event', 'condition'], step.event.condition, true);
      break;
    case 'set':
      tpl(['vars'], step.vars);
      break;
    case 'case':
      tpl(['input'], step.input);
      break;
    case 'succeed':
      tpl(['output'], step.output ?? null);
      break;
    case 'fail':
      tpl(['error'], step.error);
      break;
    default:
      break;
  }
  return out;
}
