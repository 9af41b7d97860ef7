import type { RunState } from './run-state.js';

/**
 * A deep copy of a run's state for the reducer to change. The state is JSON-shaped (it is stored as JSON):
 * plain objects, arrays and primitives are copied here directly, keys with undefined values included, as
 * structuredClone copies them; anything else (a connector's output may hold a Date before it is stored) is
 * handed to structuredClone. structuredClone over the whole state was most of `decide`'s own time in the
 * engine bench (it serialises and deserialises through C++ for every event).
 */
export function cloneState<T>(state: T): T {
  return clone(state) as T;
}

/**
 * The run state's working copy for one decision: everything copied except the trigger (the alert, the case,
 * the inputs), which no decision ever changes once the run has started and which is shared instead. An
 * alert-started run carries the whole alert in its trigger: copying it on every event was most of the copy.
 */
export function cloneRunState(state: RunState): RunState {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) out[key] = key === 'trigger' ? value : cloneState(value);
  return out as unknown as RunState;
}

function clone(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i += 1) out[i] = clone(value[i]);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const copy = clone((value as Record<string, unknown>)[key]);
    // An own `__proto__` key (JSON.parse makes one) stays a key; assigning it would set the prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out;
}
