import { casesApi } from './client.js';
import { reportUnauthenticated } from './http.js';
import type { CaseEvent } from './types.js';

export type FeedState = 'live' | 'polling' | 'reconnecting';

const RETRY_MS = 2_000;
const POLL_MS = 5_000;

/** Splits a text/event-stream buffer into complete frames' `data` payloads; returns what is left over. */
export function parseSseFrames(buffer: string): { data: string[]; rest: string } {
  const data: string[] = [];
  const frames = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = frames.pop() ?? '';
  for (const frame of frames) {
    const lines = frame.split('\n').filter((l) => l.startsWith('data:'));
    if (lines.length > 0) data.push(lines.map((l) => l.slice(5).replace(/^ /, '')).join('\n'));
  }
  return { data, rest };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows a case's timeline after `afterId`: the SSE stream `/cases/:id/events` when the server has it (read with
 * fetch, because EventSource only reports unnamed events and every timeline event is named by its type), else
 * polling the timeline. Reconnects resume from the last event seen. Returns a function that stops following.
 */
export function followCaseEvents(
  caseId: string,
  afterId: string | undefined,
  onEvent: (event: CaseEvent) => void,
  onState: (state: FeedState) => void,
): () => void {
  const controller = new AbortController();
  const { signal } = controller;
  let last = afterId;
  const deliver = (event: CaseEvent) => {
    last = event.id;
    onEvent(event);
  };

  const poll = async () => {
    onState('polling');
    while (!signal.aborted) {
      try {
        const page = await casesApi.timeline(caseId, last);
        page.items.forEach(deliver);
      } catch {
        // A failed poll is retried at the next tick; the page shows what it has.
      }
      await sleep(POLL_MS, signal);
    }
  };

  const stream = async () => {
    while (!signal.aborted) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (last) headers['last-event-id'] = last;
        const response = await fetch(`/api/v1/cases/${encodeURIComponent(caseId)}/events`, {
          headers,
          credentials: 'same-origin',
          signal,
        });
        if (response.status === 404 || response.status === 405) return poll();
        if (response.status === 401) return reportUnauthenticated();
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        onState('live');
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          const { data, rest } = parseSseFrames(buffer);
          buffer = rest;
          for (const payload of data) {
            const event = JSON.parse(payload) as CaseEvent;
            // A resumed stream may repeat the event it resumed from; the id says whether it is new.
            if (event.id !== last) deliver(event);
          }
        }
      } catch {
        if (signal.aborted) return;
      }
      if (signal.aborted) return;
      onState('reconnecting');
      await sleep(RETRY_MS, signal);
    }
  };

  void stream();
  return () => controller.abort();
}
