import { describe, expect, it } from 'vitest';
import { cloneRunState, cloneState } from './clone-state.js';
import { newRunState } from './run-state.js';

describe('cloneState', () => {
  it('copies JSON-shaped state deeply, as structuredClone does, undefined-valued keys included', () => {
    const state = {
      seq: 3,
      threads: {
        t0: { stack: [{ list: 'root', index: 1 }], blocked: undefined, scope: { a: { output: null } } },
      },
      pending: [{ id: 'e1', input: { ip: '10.0.0.1', tags: ['x'] } }],
      flag: false,
      text: 'é',
    };
    const copy = cloneState(state);
    expect(copy).toStrictEqual(structuredClone(state));
    expect(Object.keys(copy.threads.t0)).toContain('blocked');
    copy.threads.t0.stack[0]!.index = 9;
    copy.pending[0]!.input.tags.push('y');
    expect(state.threads.t0.stack[0]?.index).toBe(1);
    expect(state.pending[0]?.input.tags).toEqual(['x']);
  });

  it('keeps an own __proto__ key a key, and copies values that are not plain JSON with structuredClone', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = cloneState(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const at = new Date(5);
    const withDate = cloneState({ output: { at } });
    expect(withDate.output.at).toBeInstanceOf(Date);
    expect(withDate.output.at).not.toBe(at);
    expect(withDate.output.at.getTime()).toBe(5);
  });
});

describe('cloneRunState', () => {
  it('copies the state for a decision but shares its trigger, which decisions only read', () => {
    const alert = { id: 'a1', observables: [{ type: 'ipv4', value: '203.0.113.9' }] };
    const state = newRunState({ runId: 'r1', playbookId: 'p', trigger: { alert, inputs: {} }, now: 0 });
    const copy = cloneRunState(state);
    expect(copy).toStrictEqual(state);
    expect(Object.keys(copy)).toEqual(Object.keys(state));
    expect(copy.trigger).toBe(state.trigger);
    expect(copy.threads).not.toBe(state.threads);
    copy.threads.t0!.attempt = 5;
    copy.vars.x = 1;
    expect(state.threads.t0?.attempt).toBe(1);
    expect(state.vars).toEqual({});
  });
});
