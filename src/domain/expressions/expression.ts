import { Environment } from '@marcbachmann/cel-js';

/**
 * Playbook expressions are CEL: sandboxed (no host objects reachable) and always terminating. Each
 * expression is parsed and type-checked once per playbook version; evaluation takes plain JSON values.
 */

/** The names a run's context offers to expressions. */
export const CONTEXT_VARIABLES = [
  'alert',
  'case',
  'inputs',
  'steps',
  'vars',
  'secrets',
  'run',
  'event',
  'item',
  'index',
] as const;

export interface CompiledExpression {
  source: string;
  /** Evaluates against a context of plain JSON values; the result is plain JSON again. */
  evaluate(context: Record<string, unknown>): unknown;
}

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** One environment for every playbook; extra loop variables (`foreach … as: host`) are added per name. */
function makeEnvironment(extra: readonly string[]): Environment {
  const env = new Environment({
    unlistedVariablesAreDyn: false,
    homogeneousAggregateLiterals: false,
    enableOptionalTypes: true,
  });
  for (const name of [...CONTEXT_VARIABLES, ...extra]) {
    if (!env.hasVariable(name)) env.registerVariable(name, 'dyn');
  }
  return env;
}

const baseEnv = makeEnvironment([]);
const envFor = (extra: readonly string[]): Environment =>
  extra.length === 0 ? baseEnv : makeEnvironment(extra);

const firstLine = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'invalid expression';

/** CEL has int and double; JSON integers become ints so `count + 1` and `x == 2` mean what they say. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value;
}

/**
 * The context as CEL sees it, each variable converted (toCel) when the expression first reads it: an
 * expression reads one or two of the context's variables, and converting all of them (the trigger's alert,
 * every step's output) for each evaluation was the larger part of evaluating one.
 */
function celContext(context: Record<string, unknown>): Record<string, unknown> {
  const converted = new Map<string, unknown>();
  return new Proxy(context, {
    get(target, key) {
      if (typeof key !== 'string') return undefined;
      if (converted.has(key)) return converted.get(key);
      // Own properties only, as converting the whole context read them: never `constructor` or the like.
      const value = Object.hasOwn(target, key) ? toCel(target[key]) : undefined;
      converted.set(key, value);
      return value;
    },
  });
}

export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  if (value !== null && typeof value === 'object') {
    if (value instanceof Uint8Array) return Array.from(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromCel(v);
    return out;
  }
  return value;
}

export interface CheckResult {
  ok: boolean;
  /** The static type CEL infers (`bool`, `string`, `dyn`, …) when ok. */
  type?: string;
  error?: string;
}

/** Parses and type-checks without evaluating: for validation. */
export function checkExpression(source: string, extraVariables: readonly string[] = []): CheckResult {
  try {
    const result = envFor(extraVariables).check(source) as {
      valid: boolean;
      type?: unknown;
      error?: unknown;
    };
    if (!result.valid) return { ok: false, error: firstLine(result.error) };
    return { ok: true, type: String(result.type) };
  } catch (err) {
    return { ok: false, error: firstLine(err) };
  }
}

/** Compiles once; throws ExpressionError with CEL's message when the source does not parse. */
export function compileExpression(
  source: string,
  extraVariables: readonly string[] = [],
): CompiledExpression {
  let program: (context: Record<string, unknown>) => unknown;
  try {
    program = envFor(extraVariables).parse(source) as (context: Record<string, unknown>) => unknown;
  } catch (err) {
    throw new ExpressionError(firstLine(err), source);
  }
  return {
    source,
    evaluate(context) {
      try {
        return fromCel(program(celContext(context)));
      } catch (err) {
        throw new ExpressionError(firstLine(err), source);
      }
    },
  };
}
