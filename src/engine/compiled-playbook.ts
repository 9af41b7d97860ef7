import { ExpressionCache } from '../domain/expressions/template.js';
import { childLists } from '../domain/playbooks/playbook-walk.js';
import type { Playbook, Step } from '../domain/playbooks/playbook.schema.js';

/**
 * A playbook version prepared for the reducer: step lists by key, each step's place, and its expressions
 * compiled once. Built once per version and shared by every run of it.
 */
export interface CompiledPlaybook {
  playbook: Playbook;
  lists: Map<string, Step[]>;
  places: Map<string, { list: string; index: number }>;
  expressions: ExpressionCache;
}

export function compilePlaybook(playbook: Playbook): CompiledPlaybook {
  const lists = new Map<string, Step[]>();
  const places = new Map<string, { list: string; index: number }>();
  const loopVars = new Set<string>();
  const add = (key: string, steps: Step[]): void => {
    lists.set(key, steps);
    steps.forEach((step, index) => {
      places.set(step.id, { list: key, index });
      if (step.kind === 'foreach') loopVars.add(step.as ?? 'item');
      for (const child of childLists(step)) add(`${step.id}/${child.key}`, child.steps);
    });
  };
  add('root', playbook.steps);
  return { playbook, lists, places, expressions: new ExpressionCache([...loopVars]) };
}
