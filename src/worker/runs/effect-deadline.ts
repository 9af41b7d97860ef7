/** The signal an action call gets: the worker's own (shutdown, lost lease) or the action's timeout. */
export interface EffectDeadline {
  readonly signal: AbortSignal;
  /** Whether the timeout (not the worker's signal) ended the call. */
  readonly timedOut: boolean;
  /** Clears the timer and stops listening to the worker's signal: call it once the call has returned. */
  dispose(): void;
}

/**
 * One controller, one timer and one listener per call, all dropped when the call returns. The obvious
 * `AbortSignal.any([signal, AbortSignal.timeout(ms)])` cost about 5% of a run's CPU in the engine bench (two
 * signals, weak references and a finalizer per call, kept until collected).
 */
export function startEffectDeadline(parent: AbortSignal, timeoutMs: number): EffectDeadline {
  const controller = new AbortController();
  let timedOut = false;
  if (parent.aborted) controller.abort(parent.reason);
  const onParentAbort = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, timeoutMs);
  // Like AbortSignal.timeout: a pending deadline does not keep the process alive.
  timer.unref();
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
