import { compileExpression, type CompiledExpression } from './expression.js';

/**
 * `{{ expression }}` interpolation in playbook values. A string that is exactly one `{{ … }}` yields the
 * expression's value with its type (a list stays a list); any other string with `{{ … }}` yields text.
 */

const PLACEHOLDER = /\{\{\s*([\s\S]+?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([\s\S]+?)\s*\}\}$/;

/** Every expression source inside a template value, for validation. */
export function templateExpressions(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(PLACEHOLDER)) if (m[1]) out.push(m[1]);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return out;
}

/** Compiled expressions of one playbook version, keyed by source: each is parsed once. */
export class ExpressionCache {
  private readonly compiled = new Map<string, CompiledExpression>();
  constructor(private readonly extraVariables: readonly string[] = []) {}

  get(source: string): CompiledExpression {
    let c = this.compiled.get(source);
    if (!c) {
      c = compileExpression(source, this.extraVariables);
      this.compiled.set(source, c);
    }
    return c;
  }

  evaluate(source: string, context: Record<string, unknown>): unknown {
    return this.get(source).evaluate(context);
  }

  /** Renders a template value; throws ExpressionError on the first failing expression. */
  render(value: unknown, context: Record<string, unknown>): unknown {
    if (typeof value === 'string') {
      const whole = WHOLE.exec(value);
      if (whole?.[1] && !whole[1].includes('}}')) return this.evaluate(whole[1], context);
      if (!value.includes('{{')) return value;
      return value.replace(PLACEHOLDER, (_m, src: string) => stringify(this.evaluate(src, context)));
    }
    if (Array.isArray(value)) return value.map((v) => this.render(v, context));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.render(v, context);
      return out;
    }
    return value;
  }
}

const stringify = (v: unknown): string =>
  typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
