import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, setCsrfToken, setUnauthenticatedHandler, withQuery } from './http.js';

interface Call {
  url: string;
  init: { method: string; headers: Record<string, string>; body?: string };
}

function stubFetch(status: number, body: unknown): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init: Call['init']) => {
    calls.push({ url, init });
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  });
  return calls;
}

describe('api client', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    setCsrfToken(undefined);
    setUnauthenticatedHandler(undefined);
  });

  it('sends the CSRF token on unsafe methods only', async () => {
    const calls = stubFetch(200, { ok: true });
    setCsrfToken('csrf-1');
    await api('/cases', { query: { status: 'new', cursor: undefined, q: '' } });
    await api('/cases/1/comments', { method: 'POST', body: { body: 'hi' } });
    expect(calls[0]?.url).toBe('/api/v1/cases?status=new');
    expect(calls[0]?.init.headers['x-csrf-token']).toBeUndefined();
    expect(calls[1]?.init.headers['x-csrf-token']).toBe('csrf-1');
    expect(calls[1]?.init.body).toBe('{"body":"hi"}');
  });

  it('turns a problem body into an ApiError with code, message and details', async () => {
    stubFetch(400, {
      code: 'RIPOSTE_VALIDATION',
      message: 'body.to: invalid',
      details: [{ path: 'body.to', message: 'invalid' }],
    });
    const error = await api('/cases/1/transitions', { method: 'POST', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: 'RIPOSTE_VALIDATION', message: 'body.to: invalid' });
    expect((error as ApiError).details).toEqual([{ path: 'body.to', message: 'invalid' }]);
  });

  it('reports a 401 to the sign-in handler, but not a failed sign-in', async () => {
    stubFetch(401, { code: 'RIPOSTE_UNAUTHENTICATED', message: 'sign in', details: [] });
    const handler = vi.fn();
    setUnauthenticatedHandler(handler);
    await expect(api('/cases')).rejects.toThrow('sign in');
    expect(handler).toHaveBeenCalledTimes(1);
    await expect(api('/auth/login', { method: 'POST', body: {} })).rejects.toThrow('sign in');
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('builds query strings without empty values', () => {
    expect(withQuery('/alerts', { a: 'x y', b: undefined, c: null, d: '', e: 0 })).toBe('/alerts?a=x+y&e=0');
  });
});
