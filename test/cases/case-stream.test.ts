import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaseRoutes } from '../../src/api/cases/cases.routes.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

interface Frame {
  id: string;
  event: string;
  data: { id: string; type: string; data: Record<string, unknown> };
}

/** Reads SSE frames from a response body until `until` says stop. */
async function readFrames(
  body: ReadableStream<Uint8Array>,
  until: (frames: Frame[]) => boolean,
): Promise<Frame[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let buffer = '';
  while (!until(frames)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((l) => !l.startsWith(':') && l.includes(': '))
          .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
      );
      if (fields.data)
        frames.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) } as Frame);
    }
  }
  await reader.cancel();
  return frames;
}

describe.each(DIALECTS)('case event stream (SSE) on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  let base: string;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
    // A long poll interval: a new event arriving quickly proves the notifier woke the stream.
    api = await buildTestApi(handle.store, [
      { name: 'cases', plugin: createCaseRoutes({ stream: { pollMs: 60_000, heartbeatMs: 60_000 } }) },
    ]);
    base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  it('replays after Last-Event-ID, then follows new events as they are committed', async () => {
    const headers = { ...asRole('analyst'), 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/v1/cases`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: 'Stream me', severity: 'low' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const url = `${base}/api/v1/cases/${created.id}`;
    await fetch(`${url}/transitions`, { method: 'POST', headers, body: JSON.stringify({ to: 'triage' }) });
    const timeline = (await fetch(`${url}/timeline`, { headers }).then((r) => r.json())) as {
      items: Array<{ id: string }>;
    };
    const first = timeline.items[0]?.id ?? '';

    const abort = new AbortController();
    const stream = await fetch(`${url}/events`, {
      headers: { ...asRole('viewer'), 'last-event-id': first },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reading = readFrames(stream.body as ReadableStream<Uint8Array>, (f) => f.length >= 2);
    // Give the stream a moment to replay, then add an event: it must arrive without waiting for a poll.
    await new Promise((r) => setTimeout(r, 100));
    await fetch(`${url}/comments`, { method: 'POST', headers, body: JSON.stringify({ body: 'live' }) });
    const frames = await reading;
    abort.abort();
    expect(frames.map((f) => f.event)).toEqual(['status_changed', 'comment_added']);
    expect(frames[0]?.id).toBe(timeline.items[1]?.id);
    expect(frames[1]?.data.data).toEqual({ body: 'live' });
  });

  it('sends the whole timeline to a new client and resumes a dropped one exactly where it stopped', async () => {
    const headers = { ...asRole('analyst'), 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/v1/cases`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: 'Resume me', severity: 'medium' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const url = `${base}/api/v1/cases/${created.id}`;
    const comment = (body: string) =>
      fetch(`${url}/comments`, { method: 'POST', headers, body: JSON.stringify({ body }) });
    await comment('before anyone listened');

    // No Last-Event-ID: everything so far, then a live event.
    const first = new AbortController();
    const stream1 = await fetch(`${url}/events`, { headers: asRole('viewer'), signal: first.signal });
    const reading1 = readFrames(stream1.body as ReadableStream<Uint8Array>, (f) => f.length >= 3);
    await new Promise((r) => setTimeout(r, 100));
    await comment('live one');
    const seen = await reading1;
    first.abort();
    expect(seen.map((f) => f.event)).toEqual(['case_created', 'comment_added', 'comment_added']);
    expect(seen.map((f) => f.data.data.body ?? null)).toEqual([null, 'before anyone listened', 'live one']);

    // Events while the client is away, then a reconnect with the last id it saw: only the missed ones.
    await comment('missed 1');
    await fetch(`${url}/transitions`, { method: 'POST', headers, body: JSON.stringify({ to: 'triage' }) });
    const second = new AbortController();
    const stream2 = await fetch(`${url}/events`, {
      headers: { ...asRole('viewer'), 'last-event-id': seen.at(-1)?.id ?? '' },
      signal: second.signal,
    });
    const resumed = await readFrames(stream2.body as ReadableStream<Uint8Array>, (f) => f.length >= 2);
    second.abort();
    expect(resumed.map((f) => f.event)).toEqual(['comment_added', 'status_changed']);
    expect(resumed[0]?.data.data.body).toBe('missed 1');
    const ids = [...seen, ...resumed].map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    // The ids the stream sends are the timeline's own, in its order.
    const timeline = (await fetch(`${url}/timeline`, { headers }).then((r) => r.json())) as {
      items: Array<{ id: string }>;
    };
    expect(timeline.items.map((e) => e.id)).toEqual(ids);
  });

  it('answers 404 for an unknown case before opening a stream', async () => {
    const res = await fetch(`${base}/api/v1/cases/nope/events`, { headers: asRole('viewer') });
    expect(res.status).toBe(404);
  });
});
