import { describe, expect, it } from 'vitest';
import { startEffectDeadline } from './effect-deadline.js';

describe('startEffectDeadline', () => {
  it('aborts the call when its timeout passes, and says so', async () => {
    const worker = new AbortController();
    const deadline = startEffectDeadline(worker.signal, 10);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.timedOut).toBe(true);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
    expect(worker.signal.aborted).toBe(false);
    deadline.dispose();
  });

  it("aborts the call with the worker's reason when the worker's signal aborts first", () => {
    const worker = new AbortController();
    const deadline = startEffectDeadline(worker.signal, 60_000);
    const reason = new Error('lease lost');
    worker.abort(reason);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(reason);
    expect(deadline.timedOut).toBe(false);
    deadline.dispose();
  });

  it('starts aborted under an aborted worker signal', () => {
    const worker = new AbortController();
    worker.abort(new Error('shutting down'));
    const deadline = startEffectDeadline(worker.signal, 60_000);
    expect(deadline.signal.aborted).toBe(true);
    deadline.dispose();
  });

  it('once disposed, neither the timer nor the worker signal aborts the call', async () => {
    const worker = new AbortController();
    const deadline = startEffectDeadline(worker.signal, 10);
    deadline.dispose();
    await new Promise((resolve) => setTimeout(resolve, 30));
    worker.abort(new Error('later'));
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.timedOut).toBe(false);
  });
});
